import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ParseJobFilter } from "./gql/graphql.js";
import { IdsQuery, PageQuery } from "./support/operations.js";
import { asGraphQL, restListing, type Stack, startStack } from "./support/stack.js";

/** Walks `parseJobs` to the end, returning the ids in order and the number of GraphQL pages. */
async function walk(stack: Stack, first: number, filter?: ParseJobFilter) {
  const ids: string[] = [];
  let after: string | null | undefined;
  let pages = 0;
  for (;;) {
    const answer = await stack.query(IdsQuery, { first, after, filter });
    expect(answer.errors).toBeUndefined();
    const connection = answer.data?.parseJobs;
    if (!connection) throw new Error("no connection in the answer");
    pages++;
    for (const edge of connection.edges) ids.push(edge?.node.id ?? "null edge");
    if (!connection.pageInfo.hasNextPage) return { ids, pages };
    after = connection.pageInfo.endCursor;
  }
}

describe("parseJobs against an upstream that honours page_size", () => {
  let stack: Stack;
  let everything: Array<Record<string, unknown>>;
  beforeAll(async () => {
    // total_size is sent only when asked for; this upstream is one that sends it.
    stack = await startStack({ demo: { totalSize: true } });
    everything = await restListing(stack.demo);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("walks the whole listing in REST order, one upstream call per page", async () => {
    expect(everything.length).toBe(320);
    for (const first of [20, 100, 33]) {
      stack.demo.reset();
      const { ids, pages } = await walk(stack, first);
      expect(ids).toEqual(everything.map((job) => job.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages).toBe(Math.ceil(320 / first));
      expect(stack.demo.listCalls()).toBe(Math.ceil(320 / first));
    }
  });

  it.each<[string, ParseJobFilter, Array<[string, string]>]>([
    ["status", { status: "FAILED" }, [["status", "FAILED"]]],
    ["organization", { organizationId: "org-demo-beta" }, [["organization_id", "org-demo-beta"]]],
    [
      "creation window given with an offset",
      {
        createdAtOnOrAfter: "2026-05-31T02:00:00+02:00",
        createdAtOnOrBefore: "2026-05-31T23:59:59.5Z",
      },
      [
        ["created_at_on_or_after", "2026-05-31T00:00:00Z"],
        ["created_at_on_or_before", "2026-05-31T23:59:59.5Z"],
      ],
    ],
  ])(
    "walks with a %s filter exactly as the REST listing filters",
    async (_name, filter, params) => {
      const expected = (await restListing(stack.demo, params)).map((job) => job.id);
      expect(expected.length).toBeGreaterThan(20);
      stack.demo.reset();
      const { ids, pages } = await walk(stack, 20, filter);
      expect(ids).toEqual(expected);
      expect(stack.demo.listCalls()).toBe(pages);
      // The filter is re-sent with every page token, in REST names and UTC.
      for (const request of stack.demo.requests) {
        for (const [name, value] of params) expect(request.query.getAll(name)).toEqual([value]);
      }
    },
  );

  it("walks a project and a set of ids", async () => {
    const projectId = String(everything[0]?.project_id);
    const expected = everything.filter((job) => job.project_id === projectId).map((job) => job.id);
    expect((await walk(stack, 25, { projectId })).ids).toEqual(expected);
    const jobIds = everything.slice(10, 40).map((job) => String(job.id));
    stack.demo.reset();
    const { ids } = await walk(stack, 20, { jobIds: [...jobIds].reverse() });
    expect(ids).toEqual(jobIds);
    expect(stack.demo.requests[0]?.query.getAll("job_ids")).toEqual([...jobIds].sort());
  });

  it("resumes after any edge, mid-page, with one call", async () => {
    const page = await stack.query(PageQuery, { first: 20 });
    const cursor = page.data?.parseJobs.edges[6]?.cursor;
    stack.demo.reset();
    const next = await stack.query(PageQuery, { first: 5, after: cursor });
    expect(next.data?.parseJobs.edges.map((edge) => edge?.node.id)).toEqual(
      everything.slice(7, 12).map((job) => job.id),
    );
    expect(next.data?.parseJobs.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: true,
    });
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("returns every field as the upstream gave it, timestamps in UTC with their fraction digits", async () => {
    const answer = await stack.query(PageQuery, { first: 100 });
    const nodes = answer.data?.parseJobs.edges.map((edge) => edge?.node) ?? [];
    expect(nodes).toHaveLength(100);
    expect(nodes).toEqual(everything.slice(0, 100).map(asGraphQL));
    expect(answer.data?.parseJobs.totalCount).toBe(320);
  });

  it("selects a job by a createdAt copied from a result (microseconds survive)", async () => {
    const withMicros = everything.find((job) => String(job.created_at).endsWith("+00:00"));
    const createdAt = String(withMicros?.created_at).replace("+00:00", "Z");
    expect(createdAt).toMatch(/\.\d{6}Z$/);
    const answer = await stack.query(PageQuery, {
      first: 100,
      filter: { createdAtOnOrAfter: createdAt, createdAtOnOrBefore: createdAt },
    });
    expect(answer.data?.parseJobs.edges.map((edge) => edge?.node.id)).toContain(withMicros?.id);
    expect(answer.data?.parseJobs.edges.every((edge) => edge?.node.createdAt === createdAt)).toBe(
      true,
    );
  });

  it("refuses DateTime input without an offset, or malformed, before any call", async () => {
    for (const value of ["2026-05-31T00:00:00", "yesterday", "2026-02-30T00:00:00Z"]) {
      const answer = await stack.query(PageQuery, { filter: { createdAtOnOrAfter: value } });
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.[0]?.message).toContain("DateTime");
    }
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("answers first: 0 with no edges, calling the upstream only when asked for hasNextPage", async () => {
    const edgesOnly = await stack.query("{ parseJobs(first: 0) { edges { cursor } } }");
    expect(edgesOnly.data).toEqual({ parseJobs: { edges: [] } });
    expect(stack.demo.listCalls()).toBe(0);
    const withNext = await stack.query(
      "{ parseJobs(first: 0) { edges { cursor } pageInfo { hasNextPage endCursor } totalCount } }",
    );
    expect(withNext.data).toEqual({
      parseJobs: { edges: [], pageInfo: { hasNextPage: true, endCursor: null }, totalCount: 320 },
    });
    expect(stack.demo.listCalls()).toBe(1);
  });

  it.each([-1, 101])("refuses first: %i with BAD_USER_INPUT and no call", async (first) => {
    const answer = await stack.query(PageQuery, { first });
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toBe(`first must be from 0 to 100 (got ${first})`);
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("has no last/before: the connection pages forward only", async () => {
    const answer = await stack.query("{ parseJobs(last: 5) { edges { cursor } } }");
    expect(answer.errors?.[0]?.message).toContain('Unknown argument "last"');
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("answers jobIds: [] with an empty connection and no call", async () => {
    const answer = await stack.query(PageQuery, { filter: { jobIds: [] } });
    expect(answer.data?.parseJobs).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("refuses a cursor used with another filter, and tampered or garbage cursors, with no call", async () => {
    const page = await stack.query(IdsQuery, { first: 5, filter: { status: "FAILED" } });
    const cursor = page.data?.parseJobs.pageInfo.endCursor ?? "";
    stack.demo.reset();
    const otherFilter = await stack.query(IdsQuery, {
      first: 5,
      after: cursor,
      filter: { status: "RUNNING" },
    });
    expect(otherFilter.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(otherFilter.errors?.[0]?.message).toContain("different filter");
    const tampered = Buffer.from(
      Buffer.from(cursor, "base64url")
        .toString()
        .replace(/,( *)(\d+),/, (_m, pad, n) => `,${pad}${Number(n) + 1},`),
    ).toString("base64url");
    expect(tampered).not.toBe(cursor);
    for (const after of [tampered, "garbage", "", cursor.slice(0, -2), "a".repeat(5000)]) {
      const answer = await stack.query(IdsQuery, { first: 5, after, filter: { status: "FAILED" } });
      expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(answer.errors?.[0]?.message).toContain("not a cursor this gateway issued");
    }
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("refuses malformed filter values with BAD_USER_INPUT and no call", async () => {
    for (const filter of [{ jobIds: ["ok-id", "not an id!"] }, { projectId: "  " }]) {
      const answer = await stack.query(PageQuery, { filter });
      expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    const tooMany = await stack.query(PageQuery, {
      filter: {
        jobIds: Array.from({ length: 400 }, (_, i) => `pjb-${String(i).padStart(32, "0")}`),
      },
    });
    expect(tooMany.errors?.[0]?.message).toContain("too long for one upstream URL");
    expect(stack.demo.listCalls()).toBe(0);
  });
});

describe("parseJobs against an upstream that caps pages silently", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ demo: { maxPageSize: 7 } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("still returns first: N edges, asking each next page only for the remainder", async () => {
    const answer = await stack.query(IdsQuery, { first: 20 });
    expect(answer.data?.parseJobs.edges).toHaveLength(20);
    expect(stack.demo.requests.map((r) => r.query.get("page_size"))).toEqual(["20", "13", "6"]);
  });

  it("walks everything with ⌈first / cap⌉ calls per page and starts each page on a boundary", async () => {
    const everything = (await restListing(stack.demo)).map((job) => job.id);
    stack.demo.reset();
    const { ids, pages } = await walk(stack, 20);
    expect(ids).toEqual(everything);
    expect(pages).toBe(16);
    expect(stack.demo.listCalls()).toBe(16 * Math.ceil(20 / 7));
  });
});

describe("the end of the listing", () => {
  it.each(["absent", "null", "empty"] as const)(
    "is read from a %s next_page_token, and a missing total_size is a null totalCount",
    async (lastPageToken) => {
      const stack = await startStack({ demo: { lastPageToken, totalSize: false } });
      try {
        const { ids, pages } = await walk(stack, 40);
        expect(ids).toHaveLength(320);
        expect(pages).toBe(8);
        const answer = await stack.query(PageQuery, { first: 1 });
        expect(answer.data?.parseJobs.totalCount).toBeNull();
      } finally {
        await stack.close();
      }
    },
  );
});
