/**
 * Issue 16, "Projects per caller": a caller whose token lists LlamaCloud projects sees those
 * projects' jobs and nothing else, through every field, cursor, cached answer and shared
 * execution, and every upstream call made for it carries `project_id` of one of them. Each test
 * reads the demo upstream's request log as well as the answers.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeCursor } from "../src/cursor.js";
import { DEMO_KEY, type DemoRequest } from "../src/demo-upstream/server.js";
import { filterToRestParams } from "../src/rest-params.js";
import { CSRF_HEADER } from "../src/server/run-mode.js";
import { type GraphQLAnswer, restListing, type Stack, startStack } from "./support/stack.js";
import {
  bearer,
  type DemoProjects,
  demoProjects,
  type RestJob,
  scopedCallers,
} from "./support/tokens.js";

interface Job {
  id: string;
  projectId: string;
}

interface Connection {
  edges: Array<{ cursor: string; node: Job | null }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface PageVariables {
  first?: number;
  after?: string | null;
  filter?: Record<string, unknown> | null;
}

const PAGE = `query Page($first: Int, $after: String, $filter: ParseJobFilter) {
  parseJobs(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id projectId } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every lookup field at once: the same id through parseJob and node, a list through the rest. */
const LOOKUPS = `query Lookups($id: ID!, $ids: [ID!]!, $r: [_Any!]!) {
  parseJob(id: $id) { id projectId }
  node(id: $id) { id ... on ParseJob { projectId } }
  nodes(ids: $ids) { id ... on ParseJob { projectId } }
  _entities(representations: $r) { ... on ParseJob { id projectId } }
}`;

interface LookupsData {
  parseJob: Job | null;
  node: Job | null;
  nodes: Array<Job | null>;
  _entities: Array<Job | null>;
}

interface LookupsVariables {
  id: string;
  ids: string[];
  r: Array<{ __typename: string; id: string }>;
}

/** A job id of the same shape as the demo's, which no project has. */
const MADE_UP = "pjb-00000000-0000-4000-a000-000000000000";

const representations = (ids: readonly string[]) =>
  ids.map((id) => ({ __typename: "ParseJob", id }));

const lookups = (id: string, ids: string[], entities: string[] = ids): LookupsVariables => ({
  id,
  ids,
  r: representations(entities),
});

/** Every job an answer carries, wherever it is in it. */
function jobsIn(value: unknown): Job[] {
  if (Array.isArray(value)) return value.flatMap(jobsIn);
  if (typeof value !== "object" || value === null) return [];
  const record = value as Record<string, unknown>;
  const own =
    typeof record.id === "string" && typeof record.projectId === "string"
      ? [{ id: record.id, projectId: record.projectId }]
      : [];
  return [...own, ...Object.values(record).flatMap(jobsIn)];
}

const ids = (answer: GraphQLAnswer<{ parseJobs: Connection }>) =>
  answer.data?.parseJobs.edges.map((edge) => edge.node?.id) ?? [];

/** The `project_id`s of each upstream call, in the order they were made. */
const projectIdsOf = (requests: readonly DemoRequest[]) =>
  requests.map((request) => request.query.getAll("project_id"));

/** Asserts that every upstream call carried exactly one `project_id`, one of `projects`. */
function expectScopedCalls(requests: readonly DemoRequest[], projects: readonly string[]): void {
  for (const request of requests) {
    const project = request.query.getAll("project_id");
    expect(project).toHaveLength(1);
    expect(projects).toContain(project[0]);
    // The caller's token is never what the upstream sees: the server's key is.
    expect(request.authorization).toBe(`Bearer ${DEMO_KEY}`);
  }
}

describe("callers scoped to their projects", () => {
  let stack: Stack;
  let demo: DemoProjects;
  /** Five projects, sorted; p1 and p2 are the ones the scoped callers below may see. */
  let p1: string;
  let p2: string;
  let p3: string;
  beforeAll(async () => {
    stack = await startStack({ config: { callers: scopedCallers() } });
    demo = await demoProjects(stack.demo);
    [p1, p2, p3] = demo.projects as [string, string, string];
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  const idsOf = (project: string) => (demo.jobsOf.get(project) ?? []).map((job) => job.id);
  /** Jobs of every project but `projects`, a few of each. */
  const foreign = (projects: readonly string[], each = 2) =>
    demo.projects
      .filter((project) => !projects.includes(project))
      .flatMap((project) => idsOf(project).slice(0, each));

  it("has five projects with jobs in each", () => {
    expect(demo.projects).toHaveLength(5);
    for (const project of demo.projects) expect(idsOf(project).length).toBeGreaterThan(20);
  });

  describe("one project", () => {
    it("lists only that project's jobs, to the end, in REST order, each call with its project_id", async () => {
      const headers = await bearer("one", [p1]);
      const expected = (await restListing(stack.demo, [["project_id", p1]])).map((job) => job.id);
      stack.demo.reset();
      const seen: Job[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const answer: GraphQLAnswer<{ parseJobs: Connection }> = await stack.query<
          { parseJobs: Connection },
          PageVariables
        >(PAGE, { first: 25, after }, headers);
        expect(answer.errors).toBeUndefined();
        const connection = answer.data?.parseJobs as Connection;
        seen.push(...connection.edges.map((edge) => edge.node as Job));
        pages++;
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
        expect(pages).toBeLessThan(20);
      }
      expect(seen.map((job) => job.id)).toEqual(expected);
      expect(new Set(seen.map((job) => job.projectId))).toEqual(new Set([p1]));
      expect(stack.demo.listCalls()).toBeGreaterThanOrEqual(pages);
      expect(projectIdsOf(stack.demo.requests).every(([project]) => project === p1)).toBe(true);
      expectScopedCalls(stack.demo.requests, [p1]);
    });

    it("takes the claim as a single id as well as a list", async () => {
      const asList = await stack.query(PAGE, { first: 10 }, await bearer("one", [p1]));
      const asString = await stack.query(PAGE, { first: 10 }, await bearer("one", p1));
      expect(asString).toEqual(asList);
      expect(ids(asString as GraphQLAnswer<{ parseJobs: Connection }>)).toEqual(
        idsOf(p1).slice(0, 10),
      );
      expectScopedCalls(stack.demo.requests, [p1]);
    });

    it("accepts its own project as filter.projectId and refuses any other with no call", async () => {
      const headers = await bearer("one", [p1]);
      const own = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 5, filter: { projectId: p1 } },
        headers,
      );
      expect(ids(own)).toEqual(idsOf(p1).slice(0, 5));
      stack.demo.reset();
      for (const other of demo.projects.filter((project) => project !== p1)) {
        const refused = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 5, filter: { projectId: other } },
          headers,
        );
        expect(refused.data).toBeNull();
        expect(refused.errors).toHaveLength(1);
        expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect(refused.errors?.[0]?.message).toContain(JSON.stringify(other));
      }
      expect(stack.demo.listCalls()).toBe(0);
    });

    it("keeps filter.jobIds and filter.organizationId inside the project", async () => {
      const headers = await bearer("one", [p1]);
      const mine = idsOf(p1).slice(0, 3);
      const theirs = foreign([p1]);
      const byIds = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 50, filter: { jobIds: [...theirs, ...mine] } },
        headers,
      );
      expect(byIds.errors).toBeUndefined();
      expect(new Set(ids(byIds))).toEqual(new Set(mine));
      // Every organization of the demo, each with the project pinned on.
      const organizations = ["org-demo-alpha", "org-demo-beta"];
      for (const organizationId of organizations) {
        const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 50, filter: { organizationId } },
          headers,
        );
        expect(answer.errors).toBeUndefined();
        for (const job of jobsIn(answer.data)) expect(job.projectId).toBe(p1);
      }
      expectScopedCalls(stack.demo.requests, [p1]);
      expect(stack.demo.listCalls()).toBe(1 + organizations.length);
    });
  });

  describe("two projects", () => {
    it("requires filter.projectId, naming both, with no call", async () => {
      const headers = await bearer("two", [p2, p1]);
      for (const filter of [undefined, null, {}, { status: "COMPLETED" }, { projectId: null }]) {
        const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 5, filter },
          headers,
        );
        expect(answer.data).toBeNull();
        expect(answer.errors).toHaveLength(1);
        const [error] = answer.errors ?? [];
        expect(error?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(error?.message).toContain(JSON.stringify(p1));
        expect(error?.message).toContain(JSON.stringify(p2));
        expect(error?.message).toMatch(/filter\.projectId/);
      }
      expect(stack.demo.listCalls()).toBe(0);
    });

    it("lists the project named in filter.projectId, with its project_id on the call", async () => {
      const headers = await bearer("two", [p1, p2]);
      for (const project of [p1, p2]) {
        stack.demo.reset();
        const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 10, filter: { projectId: project, status: "COMPLETED" } },
          headers,
        );
        expect(answer.errors).toBeUndefined();
        const expected = (demo.jobsOf.get(project) ?? [])
          .filter((job) => job.status === "COMPLETED")
          .slice(0, 10)
          .map((job) => job.id);
        expect(ids(answer)).toEqual(expected);
        expect(stack.demo.listCalls()).toBe(1);
        expect(projectIdsOf(stack.demo.requests)).toEqual([[project]]);
      }
    });

    it("refuses a project outside the claim as FORBIDDEN, with no call", async () => {
      const headers = await bearer("two", [p1, p2]);
      const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 5, filter: { projectId: p3 } },
        headers,
      );
      expect(answer.data).toBeNull();
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
      expect(answer.errors?.[0]?.message).not.toMatch(/pjb-/);
      // Near misses are other projects too.
      for (const projectId of [` ${p1}`, p1.toUpperCase(), `${p1},${p3}`, ""]) {
        const near = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 5, filter: { projectId } },
          headers,
        );
        expect(near.data).toBeNull();
        expect(near.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      }
      expect(stack.demo.listCalls()).toBe(0);
    });
  });

  describe("lookups", () => {
    it("answers a job of another project exactly as a job that does not exist", async () => {
      const headers = await bearer("one", [p1]);
      const seen = [];
      for (const id of [foreign([p1], 1)[0] as string, MADE_UP]) {
        stack.demo.reset();
        const answer = await stack.query<LookupsData, LookupsVariables>(
          LOOKUPS,
          lookups(id, [id]),
          headers,
        );
        // The calls made, with the id asked for masked: the same shape for both.
        const calls = stack.demo.requests.map((request) =>
          [...request.query.entries()].map(([name, value]) => [name, value === id ? "?" : value]),
        );
        seen.push({ answer, calls });
      }
      const [other, none] = seen;
      expect(other?.answer).toEqual({
        status: 200,
        data: { parseJob: null, node: null, nodes: [null], _entities: [null] },
      });
      expect(other).toEqual(none);
      expect(other?.calls).toEqual([
        [
          ["job_ids", "?"],
          ["project_id", p1],
          ["page_size", "1"],
        ],
      ]);
    });

    it("returns the caller's own jobs through every lookup field", async () => {
      const headers = await bearer("one", [p1]);
      const [id, ...more] = idsOf(p1).slice(0, 4) as [string, ...string[]];
      const answer = await stack.query<LookupsData, LookupsVariables>(
        LOOKUPS,
        lookups(id, more, [...more].reverse()),
        headers,
      );
      expect(answer.errors).toBeUndefined();
      const job = (jobId: string) => ({ id: jobId, projectId: p1 });
      expect(answer.data).toEqual({
        parseJob: job(id),
        node: job(id),
        nodes: more.map(job),
        _entities: [...more].reverse().map(job),
      });
      expect(stack.demo.listCalls()).toBe(1);
      expectScopedCalls(stack.demo.requests, [p1]);
    });

    it("batches N ids into one call per allowed project, each with every id and its project_id", async () => {
      const mine = [p1, p2];
      const headers = await bearer("two", mine);
      const own = [...idsOf(p1).slice(0, 4), ...idsOf(p2).slice(0, 4)];
      const theirs = foreign(mine);
      const asked = [MADE_UP, ...theirs, ...own];
      // Duplicates, and a malformed id that costs nothing.
      const nodes = [...asked, own[0] as string, theirs[0] as string, "not an id!"];
      const entities = [...asked].reverse();
      const answer = await stack.query<LookupsData, LookupsVariables>(
        LOOKUPS,
        lookups(theirs[1] as string, nodes, entities),
        headers,
      );
      expect(answer.errors).toBeUndefined();
      const projectOf = new Map(demo.all.map((job) => [job.id, job.project_id]));
      const expected = (id: string) =>
        own.includes(id) ? { id, projectId: projectOf.get(id) } : null;
      expect(answer.data).toEqual({
        parseJob: null,
        node: null,
        nodes: nodes.map(expected),
        _entities: entities.map(expected),
      });
      expect(stack.demo.listCalls()).toBe(mine.length);
      expect(projectIdsOf(stack.demo.requests).flat().sort()).toEqual(mine);
      for (const request of stack.demo.requests) {
        expect(request.query.getAll("job_ids").sort()).toEqual([...asked].sort());
        expect(request.query.get("page_size")).toBe(String(asked.length));
      }
      expectScopedCalls(stack.demo.requests, mine);
    });

    it("costs ⌈ids / LOOKUP_BATCH_SIZE⌉ calls per allowed project", async () => {
      const small = await startStack({
        config: { callers: scopedCallers(), lookupBatchSize: 5 },
      });
      try {
        const mine = [p1, p2, p3];
        const asked = demo.all.slice(0, 12).map((job) => job.id);
        small.demo.reset();
        const answer = await small.query<LookupsData, LookupsVariables>(
          LOOKUPS,
          lookups(asked[0] as string, asked, asked),
          await bearer("three", mine),
        );
        expect(answer.errors).toBeUndefined();
        const visible = new Set(
          demo.all.filter((job) => mine.includes(job.project_id)).map((job) => job.id),
        );
        expect(answer.data?.nodes).toEqual(
          asked.map((id) => (visible.has(id) ? expect.objectContaining({ id }) : null)),
        );
        // 12 ids in batches of 5: 3 batches, each asked of 3 projects.
        expect(small.demo.listCalls()).toBe(3 * mine.length);
        const perProject = new Map<string, string[]>();
        for (const request of small.demo.requests) {
          const [project] = request.query.getAll("project_id") as [string];
          perProject.set(project, [
            ...(perProject.get(project) ?? []),
            ...request.query.getAll("job_ids"),
          ]);
        }
        expect([...perProject.keys()].sort()).toEqual(mine);
        for (const jobIds of perProject.values()) expect(jobIds.sort()).toEqual([...asked].sort());
        expectScopedCalls(small.demo.requests, mine);
      } finally {
        await small.close();
      }
    });

    it("costs no call for malformed ids only", async () => {
      const answer = await stack.query<LookupsData, LookupsVariables>(
        LOOKUPS,
        lookups("no such id!", ["", "../x"]),
        await bearer("two", [p1, p2]),
      );
      expect(answer.data).toEqual({
        parseJob: null,
        node: null,
        nodes: [null, null],
        _entities: [null, null],
      });
      expect(stack.demo.listCalls()).toBe(0);
    });
  });

  describe("tokens and cursors", () => {
    it("refuses a token without a usable claim with 403 FORBIDDEN, and no call", async () => {
      for (const claim of [undefined, [], [""], ["  "], 42, { id: p1 }, [p1, 7], null, ""]) {
        const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
          PAGE,
          { first: 5, filter: { projectId: p1 } },
          await bearer("no-claim", claim),
        );
        expect(answer.status).toBe(403);
        expect(answer.data ?? null).toBeNull();
        expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
        expect(answer.errors?.[0]?.message).toContain('"projects"');
      }
      // Lookups as well as listings.
      const lookup = await stack.query<LookupsData, LookupsVariables>(
        LOOKUPS,
        lookups(idsOf(p1)[0] as string, []),
        await bearer("no-claim", undefined),
      );
      expect(lookup.status).toBe(403);
      expect(stack.demo.listCalls()).toBe(0);
    });

    it("refuses a cursor of project A replayed by a caller of project B, with no call", async () => {
      const a = await bearer("a", [p1]);
      const first = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 5 },
        a,
      );
      const connection = first.data?.parseJobs as Connection;
      // A page boundary and a position inside a page (a cursor carrying a job id).
      const cursors = [
        connection.pageInfo.endCursor as string,
        connection.edges[1]?.cursor as string,
      ];
      stack.demo.reset();
      const b = await bearer("b", [p2]);
      const both = await bearer("both", [p1, p2]);
      const replays: Array<[Record<string, string>, PageVariables["filter"]]> = [
        [b, undefined],
        [b, { projectId: p2 }],
        [both, { projectId: p2 }],
      ];
      for (const after of cursors) {
        for (const [headers, filter] of replays) {
          const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
            PAGE,
            { first: 5, after, filter },
            headers,
          );
          expect(answer.data).toBeNull();
          expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
          expect(answer.errors?.[0]?.message).toMatch(/different filter/);
        }
      }
      expect(stack.demo.listCalls()).toBe(0);
      // A caller who may see project A pages on with it.
      const allowed = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 5, after: cursors[0], filter: { projectId: p1 } },
        both,
      );
      expect(ids(allowed)).toEqual(idsOf(p1).slice(5, 10));
    });

    it("never shows project A's jobs through a cursor forged around A's upstream page token", async () => {
      const a = await bearer("a", [p1]);
      const first = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 3 },
        a,
      );
      // The second page's upstream token: a cursor at A's page boundary carries it.
      await stack.query(PAGE, { first: 3, after: first.data?.parseJobs.pageInfo.endCursor }, a);
      const tokens = stack.demo.requests
        .map((request) => request.query.get("page_token"))
        .filter((token): token is string => token !== null);
      const upstreamToken = tokens[0];
      if (upstreamToken === undefined) {
        // The demo answered the first page in one call with no token to steal: take any token.
        throw new Error("no upstream page token was sent; raise `first` in this test");
      }
      // The checksum is not a secret: anyone can build a cursor for their own filter.
      const forged = encodeCursor(
        { token: upstreamToken, skip: 0 },
        filterToRestParams({ projectId: p2 }).key,
      );
      stack.demo.reset();
      const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        { first: 3, after: forged },
        await bearer("b", [p2]),
      );
      for (const job of jobsIn(answer.data)) expect(job.projectId).toBe(p2);
      expectScopedCalls(stack.demo.requests, [p2]);
    });
  });

  describe("an upstream that ignores project_id", () => {
    /** From now on the upstream answers every call with `items`, whatever it was asked. */
    const answerAlways = (items: readonly Record<string, unknown>[]) =>
      stack.demo.inject({ status: 200, body: JSON.stringify({ items }), times: 1000 });

    it("still shows a listing nothing of other projects, and names none of it", async () => {
      const theirs = (demo.jobsOf.get(p1) ?? []).slice(0, 3);
      const mine = (demo.jobsOf.get(p2) ?? []).slice(0, 2);
      answerAlways([theirs[0], mine[0], theirs[1], theirs[2], mine[1]] as RestJob[]);
      const response = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await bearer("b", [p2])) },
        body: JSON.stringify({ query: PAGE, variables: { first: 5 } }),
      });
      const text = await response.text();
      const answer = JSON.parse(text) as GraphQLAnswer<{ parseJobs: Connection }>;
      // A withheld job nulls its edge, with an error of its own.
      const edges = answer.data?.parseJobs.edges as Array<Connection["edges"][number] | null>;
      expect(edges.map((edge) => edge?.node?.id ?? null)).toEqual([
        null,
        mine[0]?.id,
        null,
        null,
        mine[1]?.id,
      ]);
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual([
        "UPSTREAM_BAD_RESPONSE",
        "UPSTREAM_BAD_RESPONSE",
        "UPSTREAM_BAD_RESPONSE",
      ]);
      expect(text).not.toContain(p1);
      for (const job of theirs) expect(text).not.toContain(job.id);
      expectScopedCalls(stack.demo.requests, [p2]);
    });

    it("still answers lookups of other projects' jobs null, as if they did not exist", async () => {
      const theirs = (demo.jobsOf.get(p1) ?? []).slice(0, 2);
      const mine = (demo.jobsOf.get(p2) ?? []).slice(0, 2);
      answerAlways([...theirs, ...mine]);
      const asked = [...theirs, ...mine].map((job) => job.id);
      const answer = await stack.query<LookupsData, LookupsVariables>(
        LOOKUPS,
        lookups(asked[0] as string, asked),
        await bearer("b", [p2]),
      );
      const job = (id: string) => ({ id, projectId: p2 });
      expect(answer).toEqual({
        status: 200,
        data: {
          parseJob: null,
          node: null,
          nodes: [null, null, ...mine.map((item) => job(item.id))],
          _entities: [null, null, ...mine.map((item) => job(item.id))],
        },
      });
      expect(stack.demo.listCalls()).toBe(1);
      expectScopedCalls(stack.demo.requests, [p2]);
    });
  });

  describe("property: no answer carries a job outside the caller's claim", () => {
    it("holds over random project subsets and random lookups", async () => {
      const everyId = demo.all.map((job) => job.id);
      const projectOf = new Map(demo.all.map((job) => [job.id, job.project_id]));
      const query = `query Mixed($id: ID!, $ids: [ID!]!, $r: [_Any!]!, $filter: ParseJobFilter) {
        parseJob(id: $id) { id projectId }
        node(id: $id) { id ... on ParseJob { projectId } }
        nodes(ids: $ids) { id ... on ParseJob { projectId } }
        _entities(representations: $r) { ... on ParseJob { id projectId } }
        parseJobs(first: 7, filter: $filter) { edges { node { id projectId } } }
      }`;
      await fc.assert(
        fc.asyncProperty(
          fc.subarray(demo.projects, { minLength: 1 }),
          fc.array(fc.oneof(fc.constantFrom(...everyId), fc.constant(MADE_UP)), {
            minLength: 1,
            maxLength: 25,
          }),
          fc.nat(),
          fc.constantFrom(...demo.projects),
          async (projects, asked, pick, stranger) => {
            stack.demo.reset();
            // The filter names one of the caller's projects, or (one time in three) any project.
            const named = pick % 3 === 0 ? stranger : (projects[pick % projects.length] as string);
            const answer = await stack.query<Record<string, unknown>, Record<string, unknown>>(
              query,
              {
                id: asked[0],
                ids: asked,
                r: representations([...asked].reverse()),
                filter: { projectId: named },
              },
              await bearer(`sub-${pick}`, projects),
            );
            const seen = jobsIn(answer.data);
            for (const job of seen) expect(projects).toContain(job.projectId);
            // Each job the caller may see is answered: scoping hides nothing of its own.
            if (projects.includes(named)) {
              expect(answer.errors).toBeUndefined();
              const visible = asked.filter((id) => projects.includes(projectOf.get(id) ?? ""));
              for (const id of visible) expect(seen.map((job) => job.id)).toContain(id);
            } else {
              expect(answer.data).toBeNull();
              expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
            }
            expectScopedCalls(stack.demo.requests, projects);
          },
        ),
        { numRuns: 40 },
      );
    });
  });
});

/** Sends `query` over one transport: the direct POST path, POST through Yoga's adapter, or GET. */
async function over(
  stack: Stack,
  transport: "POST" | "GET",
  query: string,
  variables: object,
  headers: Record<string, string>,
): Promise<GraphQLAnswer<Record<string, unknown>>> {
  const url = new URL(stack.gatewayUrl);
  let init: RequestInit;
  if (transport === "GET") {
    url.searchParams.set("query", query);
    url.searchParams.set("variables", JSON.stringify(variables));
    init = { headers: { accept: "application/json", [CSRF_HEADER]: "1", ...headers } };
  } else {
    init = {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    };
  }
  const response = await fetch(url, init);
  return { status: response.status, ...((await response.json()) as object) };
}

describe.each([
  { transport: "POST", directPost: true },
  { transport: "POST", directPost: false },
  { transport: "GET", directPost: true },
] as const)(
  "a scoped caller over $transport (directPost: $directPost)",
  ({ transport, directPost }) => {
    let stack: Stack;
    let demo: DemoProjects;
    beforeAll(async () => {
      stack = await startStack({ config: { callers: scopedCallers(), directPost } });
      demo = await demoProjects(stack.demo);
    });
    afterAll(() => stack.close());
    beforeEach(() => stack.demo.reset());

    it("is scoped: listing and lookups show its project only, every call with its project_id", async () => {
      const [, , project] = demo.projects as [string, string, string];
      const headers = await bearer("one", [project]);
      const listing = await over(stack, transport, PAGE, { first: 30 }, headers);
      expect(listing.errors).toBeUndefined();
      expect(jobsIn(listing.data).map((job) => job.id)).toEqual(
        (demo.jobsOf.get(project) ?? []).slice(0, 30).map((job) => job.id),
      );
      const asked = demo.all.slice(0, 30).map((job) => job.id);
      const found = await over(
        stack,
        transport,
        LOOKUPS,
        lookups(asked[0] as string, asked),
        headers,
      );
      expect(found.errors).toBeUndefined();
      const seen = jobsIn(found.data);
      expect(seen.length).toBeGreaterThan(0);
      for (const job of seen) expect(job.projectId).toBe(project);
      expectScopedCalls(stack.demo.requests, [project]);
    });

    it("refuses a token without the claim with 403 and no call", async () => {
      const answer = await over(stack, transport, PAGE, { first: 3 }, await bearer("x", undefined));
      expect(answer.status).toBe(403);
      expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(stack.demo.listCalls()).toBe(0);
    });
  },
);

describe("scopes and the response cache, shared executions", () => {
  let stack: Stack;
  let demo: DemoProjects;
  let p1: string;
  let p2: string;
  beforeAll(async () => {
    stack = await startStack({
      config: {
        callers: scopedCallers(),
        responseCacheTtlMs: 60_000,
        // Answers with PENDING or RUNNING jobs are cached too (by default they are not).
        responseCacheActiveTtlMs: 60_000,
        shareExecutions: true,
      },
    });
    demo = await demoProjects(stack.demo);
    [p1, p2] = demo.projects as [string, string];
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  const idsOf = (project: string) => (demo.jobsOf.get(project) ?? []).map((job) => job.id);

  it("gives callers of different projects sending the same document at once only their own jobs", async () => {
    const a = await bearer("a", [p1]);
    const b = await bearer("b", [p2]);
    const callers: Array<[Record<string, string>, string]> = [
      [a, p1],
      [b, p2],
      [a, p1],
      [b, p2],
      [b, p2],
      [a, p1],
    ];
    for (let round = 0; round < 15; round++) {
      // A new `first` each round: a new execution to share, and no cached answer yet.
      const first = 1 + (round % 8) + (round >= 8 ? 10 : 0);
      const answers = await Promise.all(
        callers.map(([headers]) =>
          stack.query<{ parseJobs: Connection }, PageVariables>(PAGE, { first }, headers),
        ),
      );
      answers.forEach((answer, index) => {
        const project = callers[index]?.[1] as string;
        expect(answer.errors).toBeUndefined();
        expect(ids(answer)).toEqual(idsOf(project).slice(0, first));
        for (const job of jobsIn(answer.data)) expect(job.projectId).toBe(project);
      });
    }
    expectScopedCalls(stack.demo.requests, [p1, p2]);
  });

  it("does not serve an answer cached for a caller who may see a project to one who may not", async () => {
    const both = await bearer("both", [p1, p2]);
    const variables = { first: 4, filter: { projectId: p1 } };
    const cached = await stack.query<{ parseJobs: Connection }, PageVariables>(
      PAGE,
      variables,
      both,
    );
    expect(ids(cached)).toEqual(idsOf(p1).slice(0, 4));
    // The same document and variables, from callers who may not see p1: refused, never cached.
    const strangers = [
      await bearer("b", [p2]),
      // One project id that spells the two above joined: a scope must not be confused with them.
      await bearer("joined", [`${p1}\n${p2}`]),
      await bearer("joined", [`${p1},${p2}`]),
    ];
    for (const headers of strangers) {
      const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(
        PAGE,
        variables,
        headers,
      );
      expect(answer.data).toBeNull();
      expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
  });

  it("lets callers with the same projects share a cached answer", async () => {
    // A `first` no test above asked for: nothing cached yet.
    const first = await stack.query(PAGE, { first: 30 }, await bearer("a", [p1]));
    expect(stack.demo.listCalls()).toBe(1);
    const other = await stack.query(PAGE, { first: 30 }, await bearer("another-a", [p1]));
    expect(other).toEqual(first);
    expect(stack.demo.listCalls()).toBe(1);
  });
});

describe("with authentication off", () => {
  let stack: Stack;
  let demo: DemoProjects;
  beforeAll(async () => {
    stack = await startStack();
    demo = await demoProjects(stack.demo);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("lists every project's jobs and adds no project_id", async () => {
    const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(PAGE, {
      first: 40,
    });
    expect(answer.errors).toBeUndefined();
    expect(ids(answer)).toEqual(demo.all.slice(0, 40).map((job) => job.id));
    expect(new Set(jobsIn(answer.data).map((job) => job.projectId)).size).toBeGreaterThan(1);
    expect(stack.demo.listCalls()).toBe(1);
    expect(projectIdsOf(stack.demo.requests)).toEqual([[]]);
  });

  it("passes filter.projectId through as before", async () => {
    const [, project] = demo.projects as [string, string];
    const answer = await stack.query<{ parseJobs: Connection }, PageVariables>(PAGE, {
      first: 5,
      filter: { projectId: project },
    });
    expect(ids(answer)).toEqual((demo.jobsOf.get(project) ?? []).slice(0, 5).map((job) => job.id));
    expect(projectIdsOf(stack.demo.requests)).toEqual([[project]]);
  });

  it("looks up jobs of every project in one call without project_id", async () => {
    const asked = demo.projects.map((project) => demo.jobsOf.get(project)?.[0]?.id as string);
    const answer = await stack.query<LookupsData, LookupsVariables>(
      LOOKUPS,
      lookups(asked[0] as string, asked),
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.nodes.map((node) => node?.id)).toEqual(asked);
    expect(answer.data?._entities.map((node) => node?.id)).toEqual(asked);
    expect(stack.demo.listCalls()).toBe(1);
    expect(projectIdsOf(stack.demo.requests)).toEqual([[]]);
  });
});
