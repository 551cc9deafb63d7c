import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generateJobs } from "../src/demo-upstream/data.js";
import { IdsQuery } from "./support/operations.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

const TTL_MS = 60_000;
const ACTIVE_TTL_MS = 500;
const A = { authorization: "Bearer key-a" };
const B = { authorization: "Bearer key-b" };

describe("response cache", () => {
  let stack: Stack;
  let idsOfA: string[];
  let idsOfB: string[];
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { "key-a": generateJobs(1, 30), "key-b": generateJobs(2, 30) } },
      config: {
        apiKey: undefined,
        maxRetries: 0,
        responseCacheTtlMs: TTL_MS,
        responseCacheActiveTtlMs: ACTIVE_TTL_MS,
      },
    });
    idsOfA = (await restListing(stack.demo, [], "key-a")).map((job) => String(job.id));
    idsOfB = (await restListing(stack.demo, [], "key-b")).map((job) => String(job.id));
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());
  afterEach(() => vi.useRealTimers());

  const ids = (answer: Awaited<ReturnType<Stack["query"]>>) =>
    (answer.data as { parseJobs: { edges: Array<{ node: { id: string } }> } }).parseJobs.edges.map(
      (edge) => edge.node.id,
    );

  it("never serves one credential's answer to another, even concurrently", async () => {
    expect(idsOfA.slice(0, 10)).not.toEqual(idsOfB.slice(0, 10));
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        [A, B, A, B].map((headers) => stack.query(IdsQuery, { first: 10 }, headers)),
      );
      expect(answers.map(ids)).toEqual([
        idsOfA.slice(0, 10),
        idsOfB.slice(0, 10),
        idsOfA.slice(0, 10),
        idsOfB.slice(0, 10),
      ]);
    }
    // Each credential fetched at most twice (the concurrent first round), then from the cache.
    expect(stack.demo.listCalls()).toBeLessThanOrEqual(4);
    const callers = new Set(stack.demo.requests.map((request) => request.authorization));
    expect(callers).toEqual(new Set([A.authorization, B.authorization]));
  });

  it("answers a repeated operation from the cache, without an upstream call", async () => {
    const first = await stack.query(IdsQuery, { first: 7 }, A);
    expect(stack.demo.listCalls()).toBe(1);
    const again = await stack.query(IdsQuery, { first: 7 }, A);
    expect(again).toEqual(first);
    expect(stack.demo.listCalls()).toBe(1);
    // Other variables are another operation.
    await stack.query(IdsQuery, { first: 8 }, A);
    expect(stack.demo.listCalls()).toBe(2);
  });

  it("keeps answers with a RUNNING job only for the shorter TTL", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const running = { first: 3, filter: { status: "RUNNING" as const } };
    const finished = { first: 3, filter: { status: "COMPLETED" as const } };
    await stack.query(IdsQuery, running, A);
    await stack.query(IdsQuery, finished, A);
    await stack.query(IdsQuery, running, A);
    expect(stack.demo.listCalls()).toBe(2);

    vi.setSystemTime(Date.now() + ACTIVE_TTL_MS + 1);
    await stack.query(IdsQuery, running, A);
    expect(stack.demo.listCalls()).toBe(3);
    await stack.query(IdsQuery, finished, A);
    expect(stack.demo.listCalls()).toBe(3);
  });

  it("gives queries that shared a RUNNING answer's execution the shorter TTL too", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const running = { first: 2, filter: { status: "RUNNING" as const } };
    // Five identical queries in flight together: one runs, four take its result, and each of
    // the five stores the answer; all must store it for the shorter lifetime.
    stack.demo.inject({ delayMs: 300, times: 1 });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => stack.query(IdsQuery, running, A)),
    );
    expect(stack.demo.listCalls()).toBe(1);
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);

    vi.setSystemTime(Date.now() + ACTIVE_TTL_MS + 1);
    await stack.query(IdsQuery, running, A);
    expect(stack.demo.listCalls()).toBe(2);
  });

  it("does not keep answers with errors", async () => {
    stack.demo.inject({ status: 500 });
    const failed = await stack.query(IdsQuery, { first: 4 }, A);
    expect(failed.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    const retried = await stack.query(IdsQuery, { first: 4 }, A);
    expect(retried.errors).toBeUndefined();
    expect(stack.demo.listCalls()).toBe(2);
  });
});
