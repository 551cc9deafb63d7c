import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateJobs } from "../src/demo-upstream/data.js";
import { type Stack, startStack } from "./support/stack.js";

const PAGE = `query Page($first: Int) { parseJobs(first: $first) { edges { cursor node { id status } } pageInfo { endCursor } } }`;

type PageAnswer = {
  data?: { parseJobs: { edges: Array<{ node: { id: string } }> } };
  errors?: Array<{ extensions?: { code?: string } }>;
};

const KEYS = { a: "key-a", b: "key-b" };

/** `count` identical page queries sent at once, under one credential. */
function concurrently(stack: Stack, count: number, key = KEYS.a, first = 5) {
  return Promise.all(
    Array.from(
      { length: count },
      () => stack.query(PAGE, { first }, { authorization: `Bearer ${key}` }) as Promise<PageAnswer>,
    ),
  );
}

const ids = (answer: PageAnswer) => answer.data?.parseJobs.edges.map((edge) => edge.node.id);

/** The value of one unlabelled counter on the gateway's /metrics. */
async function counter(stack: Stack, name: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", stack.gatewayUrl))).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} on /metrics`);
  return Number(line.slice(name.length + 1));
}

/** How much the two sharing counters moved while `run` ran. */
async function sharing<T>(stack: Stack, run: () => Promise<T>) {
  const before = await Promise.all(COUNTERS.map((name) => counter(stack, name)));
  const result = await run();
  const after = await Promise.all(COUNTERS.map((name) => counter(stack, name)));
  return {
    result,
    executions: (after[0] as number) - (before[0] as number),
    calls: (after[1] as number) - (before[1] as number),
  };
}
const COUNTERS = ["graphql_operations_shared_total", "upstream_deduplicated_total"];

describe("identical work in flight is shared", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { [KEYS.a]: generateJobs(1, 30), [KEYS.b]: generateJobs(2, 30) } },
      config: { apiKey: undefined, maxRetries: 0 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("runs ten concurrent identical queries once, with one upstream call", async () => {
    // The upstream takes 400 ms, so all ten are in flight together.
    stack.demo.inject({ delayMs: 400, times: 1 });
    const shared = await sharing(stack, () => concurrently(stack, 10));
    expect(stack.demo.listCalls()).toBe(1);
    // Nine took the first one's result: they never reached the upstream client.
    expect(shared).toMatchObject({ executions: 9, calls: 0 });
    const first = ids(shared.result[0] as PageAnswer);
    expect(first).toHaveLength(5);
    for (const answer of shared.result) {
      expect(answer.errors).toBeUndefined();
      expect(ids(answer)).toEqual(first);
    }
  });

  it("shares the upstream call between different queries that need it", async () => {
    stack.demo.inject({ delayMs: 400, times: 1 });
    const headers = { authorization: `Bearer ${KEYS.a}` };
    // Three selections of the same page: three executions, one call.
    const shared = await sharing(stack, () =>
      Promise.all(
        ["id", "status", "id status"].map(
          (fields) =>
            stack.query(
              `query { parseJobs(first: 5) { edges { node { ${fields} } } } }`,
              {},
              headers,
            ) as Promise<PageAnswer>,
        ),
      ),
    );
    expect(stack.demo.listCalls()).toBe(1);
    expect(shared).toMatchObject({ executions: 0, calls: 2 });
    const [byId, byStatus, both] = shared.result.map((answer) => answer.data?.parseJobs.edges);
    expect(byId).toHaveLength(5);
    expect(both?.map((edge) => edge.node)).toEqual(
      byId?.map((edge, i) => ({ ...edge.node, ...byStatus?.[i]?.node })),
    );
  });

  it("never shares between credentials, nor between different calls", async () => {
    stack.demo.inject({ delayMs: 400, times: 3 });
    const shared = await sharing(stack, () =>
      Promise.all([
        concurrently(stack, 4, KEYS.a),
        concurrently(stack, 4, KEYS.b),
        concurrently(stack, 4, KEYS.a, 6),
      ]),
    );
    const [a, b, other] = shared.result;
    expect(stack.demo.listCalls()).toBe(3);
    // Three of each four joined the first: nothing was shared across the groups.
    expect(shared).toMatchObject({ executions: 9, calls: 0 });
    expect(new Set(stack.demo.requests.map((request) => request.authorization))).toEqual(
      new Set([`Bearer ${KEYS.a}`, `Bearer ${KEYS.b}`]),
    );
    const aIds = ids(a[0] as PageAnswer);
    const bIds = ids(b[0] as PageAnswer);
    expect(aIds).toHaveLength(5);
    expect(bIds).toHaveLength(5);
    expect(aIds).not.toEqual(bIds);
    for (const answer of a ?? []) expect(ids(answer)).toEqual(aIds);
    for (const answer of b ?? []) expect(ids(answer)).toEqual(bIds);
    for (const answer of other ?? []) expect(ids(answer)).toHaveLength(6);
  });

  it("keeps nothing once the call settles: the next query asks again", async () => {
    await concurrently(stack, 1);
    await concurrently(stack, 1);
    expect(stack.demo.listCalls()).toBe(2);
  });

  it("gives every joined query the shared call's failure, and the next query a fresh call", async () => {
    stack.demo.inject({ status: 503, delayMs: 400, times: 1 });
    const failed = await concurrently(stack, 5);
    expect(stack.demo.listCalls()).toBe(1);
    for (const answer of failed) {
      expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    }
    const retried = await concurrently(stack, 1);
    expect(retried[0]?.errors).toBeUndefined();
    expect(stack.demo.listCalls()).toBe(2);
  });
});

describe("each kind of sharing has its own switch", () => {
  for (const [name, config, expected] of [
    [
      "UPSTREAM_DEDUPLICATE=false, SHARE_EXECUTIONS=false",
      { deduplicateUpstream: false, shareExecutions: false },
      { upstream: 10, executions: 0, calls: 0 },
    ],
    [
      "SHARE_EXECUTIONS=false",
      { shareExecutions: false },
      { upstream: 1, executions: 0, calls: 9 },
    ],
    [
      "UPSTREAM_DEDUPLICATE=false",
      { deduplicateUpstream: false },
      { upstream: 1, executions: 9, calls: 0 },
    ],
  ] as const) {
    it(`${name}: ten identical queries cost ${expected.upstream} upstream call(s)`, async () => {
      const stack = await startStack({
        demo: { tenants: { [KEYS.a]: generateJobs(1, 30) } },
        config: { apiKey: undefined, ...config },
      });
      try {
        stack.demo.inject({ delayMs: 400, times: 10 });
        const shared = await sharing(stack, () => concurrently(stack, 10));
        expect(stack.demo.listCalls()).toBe(expected.upstream);
        expect(shared).toMatchObject({ executions: expected.executions, calls: expected.calls });
        for (const answer of shared.result) expect(ids(answer)).toHaveLength(5);
      } finally {
        await stack.close();
      }
    });
  }
});

describe("SHARED_WORK_MAX_AGE_MS", () => {
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  for (const kind of ["an execution", "an upstream call"] as const) {
    it(`joins ${kind} begun shortly before, and never one older than the bound`, async () => {
      const stack = await startStack({
        demo: { tenants: { [KEYS.a]: generateJobs(1, 30) } },
        config: {
          apiKey: undefined,
          sharedWorkMaxAgeMs: 300,
          // Calls alone: executions unshared, so only the upstream call can be joined.
          shareExecutions: kind === "an execution",
        },
      });
      try {
        stack.demo.inject({ delayMs: 1200, times: 3 });
        const first = concurrently(stack, 1);
        await wait(100);
        const fresh = concurrently(stack, 1);
        await wait(600);
        // 700 ms after the first read began: too old for this one, which reads afresh.
        const late = concurrently(stack, 1);
        const answers = (await Promise.all([first, fresh, late])).flat();
        expect(stack.demo.listCalls()).toBe(2);
        for (const answer of answers) expect(ids(answer)).toHaveLength(5);
      } finally {
        await stack.close();
      }
    });
  }
});
