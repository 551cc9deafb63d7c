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

describe("identical upstream calls in flight are shared", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { [KEYS.a]: generateJobs(1, 30), [KEYS.b]: generateJobs(2, 30) } },
      config: { apiKey: undefined, maxRetries: 0 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("answers ten concurrent identical queries with one upstream call", async () => {
    // The upstream takes 400 ms, so all ten are in flight together.
    stack.demo.inject({ delayMs: 400, times: 1 });
    const answers = await concurrently(stack, 10);
    expect(stack.demo.listCalls()).toBe(1);
    const first = ids(answers[0] as PageAnswer);
    expect(first).toHaveLength(5);
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(ids(answer)).toEqual(first);
    }
    const metrics = await (await fetch(new URL("/metrics", stack.gatewayUrl))).text();
    expect(metrics).toMatch(/^upstream_deduplicated_total 9$/m);
  });

  it("never shares between credentials, nor between different calls", async () => {
    stack.demo.inject({ delayMs: 400, times: 3 });
    const [a, b, other] = await Promise.all([
      concurrently(stack, 4, KEYS.a),
      concurrently(stack, 4, KEYS.b),
      concurrently(stack, 4, KEYS.a, 6),
    ]);
    expect(stack.demo.listCalls()).toBe(3);
    expect(new Set(stack.demo.requests.map((request) => request.authorization))).toEqual(
      new Set([`Bearer ${KEYS.a}`, `Bearer ${KEYS.b}`]),
    );
    const aIds = ids(a[0] as PageAnswer);
    const bIds = ids(b[0] as PageAnswer);
    expect(aIds).toHaveLength(5);
    expect(bIds).toHaveLength(5);
    expect(aIds).not.toEqual(bIds);
    for (const answer of a) expect(ids(answer)).toEqual(aIds);
    for (const answer of b) expect(ids(answer)).toEqual(bIds);
    for (const answer of other) expect(ids(answer)).toHaveLength(6);
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

describe("with UPSTREAM_DEDUPLICATE=false", () => {
  it("sends every call", async () => {
    const stack = await startStack({
      demo: { tenants: { [KEYS.a]: generateJobs(1, 30) } },
      config: { apiKey: undefined, deduplicateUpstream: false },
    });
    try {
      stack.demo.inject({ delayMs: 400, times: 10 });
      const answers = await concurrently(stack, 10);
      expect(stack.demo.listCalls()).toBe(10);
      for (const answer of answers) expect(ids(answer)).toHaveLength(5);
    } finally {
      await stack.close();
    }
  });
});
