import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateJobs } from "../src/demo-upstream/data.js";
import { graphql } from "./gql/index.js";
import { asGraphQL, restListing, type Stack, startStack } from "./support/stack.js";

const JobFields = `id projectId status createdAt updatedAt errorMessage name tier`;

const NodesQuery = graphql(`
  query Nodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
      ... on ParseJob {
        status
        name
      }
    }
  }
`);

const NodeQuery = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) {
      __typename
      id
    }
  }
`);

/** The REST item of `id` as the gateway should show it. */
function expected(job: Record<string, unknown> | undefined) {
  if (!job) throw new Error("no such job in the REST listing");
  return asGraphQL(job);
}

describe("lookups by id", () => {
  let stack: Stack;
  let everything: Array<Record<string, unknown>>;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack();
    everything = await restListing(stack.demo);
    ids = everything.map((job) => String(job.id));
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("answers 40 aliased parseJob and nodes of 60 overlapping ids with one call", async () => {
    const aliased = ids
      .slice(0, 40)
      .map((id, i) => `j${i}: parseJob(id: "${id}") { ${JobFields} }`)
      .join("\n");
    const nodeIds = ids.slice(20, 80);
    const answer = await stack.query<Record<string, unknown>, { ids: string[] }>(
      `query($ids: [ID!]!) { ${aliased} nodes(ids: $ids) { ... on ParseJob { ${JobFields} } } }`,
      { ids: nodeIds },
    );
    expect(answer.errors).toBeUndefined();
    expect(stack.demo.listCalls()).toBe(1);
    const request = stack.demo.requests[0];
    expect(request?.query.getAll("job_ids")).toHaveLength(80);
    expect(request?.query.get("page_size")).toBe("80");
    const byId = new Map(everything.map((job) => [job.id, job]));
    for (let i = 0; i < 40; i++) expect(answer.data?.[`j${i}`]).toEqual(expected(byId.get(ids[i])));
    expect(answer.data?.nodes).toEqual(nodeIds.map((id) => expected(byId.get(id))));
  });

  it("costs ⌈unique ids / batch size⌉ calls, each with page_size set to its ids", async () => {
    const answer = await stack.query(NodesQuery, {
      ids: [...ids.slice(0, 250), ...ids.slice(0, 50)],
    });
    expect(answer.data?.nodes.map((node) => node?.id)).toEqual([
      ...ids.slice(0, 250),
      ...ids.slice(0, 50),
    ]);
    expect(stack.demo.requests.map((r) => r.query.get("page_size")).sort()).toEqual([
      "100",
      "100",
      "50",
    ]);
  });

  it("keeps the order of the question, however the upstream orders its answer", async () => {
    const asked = [ids[5], ids[300], ids[0], ids[150]] as string[];
    const answer = await stack.query(NodesQuery, { ids: asked });
    expect(answer.data?.nodes.map((node) => node?.id)).toEqual(asked);
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("asks for duplicate ids once and answers each place", async () => {
    const [a, b] = ids as [string, string];
    const answer = await stack.query(NodesQuery, { ids: [a, b, a, a] });
    expect(answer.data?.nodes.map((node) => node?.id)).toEqual([a, b, a, a]);
    expect(stack.demo.requests[0]?.query.getAll("job_ids").sort()).toEqual([a, b].sort());
  });

  it("answers null for unknown ids, and for malformed ids without asking the upstream", async () => {
    const [a] = ids as [string];
    const answer = await stack.query(NodesQuery, {
      ids: ["pjb-00000000-0000-4000-a000-000000000000", a, "not an id", "", "../etc/passwd"],
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.nodes.map((node) => node?.id ?? null)).toEqual([null, a, null, null, null]);
    expect(stack.demo.requests[0]?.query.getAll("job_ids").sort()).toEqual(
      ["pjb-00000000-0000-4000-a000-000000000000", a].sort(),
    );
    stack.demo.reset();
    const malformedOnly = await stack.query(NodeQuery, { id: "no such id!" });
    expect(malformedOnly.data).toEqual({ node: null });
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("takes exactly the ids ParseJob.id returns, UUIDs of older jobs included", async () => {
    const uuid = ids.find((id) => !id.startsWith("pjb-")) as string;
    const answer = await stack.query(NodeQuery, { id: uuid });
    expect(answer.data).toEqual({ node: { __typename: "ParseJob", id: uuid } });
  });
});

describe("lookups behind an upstream that caps pages", () => {
  it("follows page tokens inside a batch, asking only for the ids still missing", async () => {
    const stack = await startStack({ demo: { maxPageSize: 30 } });
    try {
      const ids = (await restListing(stack.demo)).slice(0, 80).map((job) => String(job.id));
      stack.demo.reset();
      const answer = await stack.query(NodesQuery, { ids });
      expect(answer.data?.nodes.map((node) => node?.id)).toEqual(ids);
      expect(stack.demo.requests.map((r) => r.query.get("page_size"))).toEqual(["80", "50", "20"]);
    } finally {
      await stack.close();
    }
  });
});

describe("a failed batch", () => {
  it("puts its error on its own fields only", async () => {
    const stack = await startStack({ config: { lookupBatchSize: 50 } });
    try {
      const ids = (await restListing(stack.demo)).slice(0, 100).map((job) => String(job.id));
      stack.demo.reset();
      const poisoned = ids[0] as string;
      stack.demo.inject({
        status: 503,
        times: 3,
        when: (r) => r.query.getAll("job_ids").includes(poisoned),
      });
      const answer = await stack.query(NodesQuery, { ids });
      const nodes = answer.data?.nodes ?? [];
      expect(nodes.slice(0, 50).every((node) => node === null)).toBe(true);
      expect(nodes.slice(50).map((node) => node?.id)).toEqual(ids.slice(50));
      expect(answer.errors).toHaveLength(50);
      expect(
        answer.errors?.map((error) => error.path?.[1]).sort((x, y) => Number(x) - Number(y)),
      ).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(answer.errors?.[0]?.extensions).toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        upstream: { status: 503 },
      });
      // Three attempts for the failing batch, one for the other.
      expect(stack.demo.listCalls()).toBe(4);
    } finally {
      await stack.close();
    }
  });
});

describe("two callers with different credentials", () => {
  it("never share results, even concurrently", async () => {
    const alpha = generateJobs(11, 30);
    const beta = generateJobs(22, 30);
    const stack = await startStack({
      demo: { tenants: { "key-alpha": alpha, "key-beta": beta } },
      config: { apiKey: undefined },
    });
    try {
      const alphaIds = alpha.map((job) => String(job.json.id));
      const betaIds = beta.map((job) => String(job.json.id));
      const both = [...alphaIds.slice(0, 10), ...betaIds.slice(0, 10)];
      const ask = (key: string) =>
        stack.query(NodesQuery, { ids: both }, { authorization: `Bearer ${key}` });
      // Slow answers keep all three in flight together.
      stack.demo.inject({ delayMs: 400, times: 3 });
      const answers = await Promise.all([ask("key-alpha"), ask("key-beta"), ask("key-alpha")]);
      const seen = answers.map((answer) => answer.data?.nodes.map((node) => node?.id ?? null));
      const none = Array<null>(10).fill(null);
      expect(seen[0]).toEqual([...alphaIds.slice(0, 10), ...none]);
      expect(seen[1]).toEqual([...none, ...betaIds.slice(0, 10)]);
      expect(seen[2]).toEqual(seen[0]);
      // Each credential made its own call; the two identical alpha operations shared one
      // execution while it was in flight (see deduplication.test.ts), the beta one never could.
      expect(stack.demo.requests.map((r) => r.authorization).sort()).toEqual([
        "Bearer key-alpha",
        "Bearer key-beta",
      ]);
    } finally {
      await stack.close();
    }
  });
});
