/**
 * Issue 18, rate limits in Redis: two replicas (in process, each its own runtime) on one demo
 * upstream and one real redis-server. A caller gets RATE_LIMIT_PER_MINUTE across both, not per
 * replica; while Redis is down each replica counts for itself (no request fails for it), and
 * once Redis is back the count is shared again, without a restart.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "./support/redis.js";
import {
  availability,
  fallbacks,
  type Replica,
  readiness,
  startReplicas,
  unavailableLines,
} from "./support/shared-replicas.js";
import { bearer, scopedCallers } from "./support/tokens.js";

const LIMIT = 20;
const PREFIX = "rl-test:";
const QUERY = "{ parseJobs(first: 1) { edges { node { id } } } }";

interface Answer {
  status: number;
  retryAfter: string | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function post(replica: Replica, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(replica.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await response.json()) as Omit<Answer, "status" | "retryAfter">;
  return { status: response.status, retryAfter: response.headers.get("retry-after"), ...body };
}

/** Sends `count` requests, alternating replicas from `start`, and expects each to pass. */
async function spend(
  replicas: readonly Replica[],
  headers: Record<string, string>,
  count: number,
  start = 0,
): Promise<void> {
  for (let index = 0; index < count; index++) {
    const answer = await post(replicas[(start + index) % replicas.length] as Replica, headers);
    expect(answer.status, `request ${index + 1} of ${count}`).toBe(200);
    expect(answer.errors).toBeUndefined();
  }
}

/** Expects a refusal that cost the upstream nothing. */
async function expectLimited(replica: Replica, headers: Record<string, string>): Promise<void> {
  const calls = replica.demo.listCalls();
  const answer = await post(replica, headers);
  expect(answer.status).toBe(429);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(answer.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  expect(answer.errors?.[0]?.extensions?.retryAfter).toBe(seconds);
  expect(replica.demo.listCalls()).toBe(calls);
}

describe("rate limits shared by two replicas through Redis", () => {
  let redis: TestRedis;
  let inspect: Redis;
  let one: Replica;
  let two: Replica;

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    // It loses its connection when the test kills Redis; ioredis would print that as unhandled.
    inspect.on("error", () => {});
    const callers = scopedCallers({ rateLimitPerMinute: LIMIT });
    [one, two] = await startReplicas(redis, {
      prefix: PREFIX,
      config: {
        callers: { ...callers, auth: callers.auth && { ...callers.auth, projectClaim: undefined } },
      },
    });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    inspect?.disconnect();
    await redis?.close();
  });
  beforeEach(() => one.demo.reset());

  it("lets one subject 20 requests a minute in all, whichever replica takes them", async () => {
    const alice = await bearer("alice", undefined);
    await spend([one, two], alice, LIMIT);
    expect(one.demo.listCalls()).toBe(LIMIT);
    // The 21st is refused on either replica, whatever token the subject brings.
    await expectLimited(one, alice);
    await expectLimited(two, alice);
    await expectLimited(two, await bearer("alice", undefined));
    // Another subject has its own 20.
    await spend([two, one], await bearer("bob", undefined), LIMIT);
    expect(await fallbacks(one, "rate-limit")).toBe(0);
    expect(await fallbacks(two, "rate-limit")).toBe(0);
    // Counted under the prefix, per subject; no token reaches Redis.
    expect((await inspect.keys("*")).sort()).toEqual([
      `${PREFIX}rate-limit:sub:alice`,
      `${PREFIX}rate-limit:sub:bob`,
    ]);
  });

  it("lets exactly 20 of 30 concurrent requests of one subject through, over both", async () => {
    const burst = await bearer("burst", undefined);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => post(index % 2 === 0 ? one : two, burst)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - LIMIT);
  });

  it("counts in each replica while Redis is down, and in Redis again once it is back", async () => {
    // Redis dies while a subject's requests go on: none fails for it.
    const steady = await bearer("steady", undefined);
    let killed: Promise<void> | undefined;
    for (let index = 0; index < 10; index++) {
      if (index === 4) killed = redis.kill();
      const answer = await post(index % 2 === 0 ? one : two, steady);
      expect(answer.status, `request ${index + 1}`).toBe(200);
    }
    await killed;
    await Promise.all([availability(one, false), availability(two, false)]);

    // Down: each replica gives a subject its own 20 (the cluster-wide count needs Redis).
    const carol = await bearer("carol", undefined);
    const counted = [await fallbacks(one, "rate-limit"), await fallbacks(two, "rate-limit")];
    await spend([one], carol, LIMIT);
    await expectLimited(one, carol);
    await spend([two], carol, LIMIT);
    await expectLimited(two, carol);
    expect(await fallbacks(one, "rate-limit")).toBe((counted[0] ?? 0) + LIMIT + 1);
    expect(await fallbacks(two, "rate-limit")).toBe((counted[1] ?? 0) + LIMIT + 1);
    for (const replica of [one, two]) {
      expect(unavailableLines(replica)).toHaveLength(1);
      expect(await readiness(replica)).toEqual({
        status: 200,
        body: { status: "ready", redis: "unavailable" },
      });
    }

    // Back, without restarting either replica: one count for both again.
    await redis.restart();
    await Promise.all([availability(one, true), availability(two, true)]);
    const dave = await bearer("dave", undefined);
    await spend([two, one], dave, LIMIT);
    await expectLimited(one, dave);
    await expectLimited(two, dave);
    expect(await fallbacks(one, "rate-limit")).toBe((counted[0] ?? 0) + LIMIT + 1);
    for (const replica of [one, two]) {
      expect((await readiness(replica)).body).toEqual({ status: "ready", redis: "available" });
    }
  });
});
