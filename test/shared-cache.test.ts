/**
 * Issue 18, the response cache in Redis: two replicas (in process, each its own runtime) on one
 * demo upstream and one real redis-server. A page one replica cached costs the other no call;
 * credentials and project scopes still never share an entry; lifetimes still follow job state;
 * and Redis going away costs misses, never a failed request, until it is back.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generateJobs } from "../src/demo-upstream/data.js";
import { IdsQuery } from "./support/operations.js";
import { startRedis, type TestRedis } from "./support/redis.js";
import {
  availability,
  fallbacks,
  type Replica,
  readiness,
  startReplicas,
  unavailableLines,
} from "./support/shared-replicas.js";
import { restListing, type Stack } from "./support/stack.js";
import { bearer, demoProjects, scopedCallers } from "./support/tokens.js";

const PREFIX = "cache-test:";
const ACTIVE_TTL_MS = 400;
const A = { authorization: "Bearer key-a" };
const B = { authorization: "Bearer key-b" };

const ids = (answer: Awaited<ReturnType<Stack["query"]>>) =>
  (answer.data as { parseJobs: { edges: Array<{ node: { id: string } }> } }).parseJobs.edges.map(
    (edge) => edge.node.id,
  );

describe("response cache shared by two replicas through Redis", () => {
  let redis: TestRedis;
  let inspect: Redis;
  let one: Replica;
  let two: Replica;
  let idsOfA: string[];
  let idsOfB: string[];

  beforeAll(async () => {
    redis = await startRedis();
    // A plain client, without the prefix, to see what the replicas wrote.
    inspect = new Redis(redis.url);
    // It loses its connection when the test kills Redis; ioredis would print that as unhandled.
    inspect.on("error", () => {});
    [one, two] = await startReplicas(redis, {
      prefix: PREFIX,
      demo: { tenants: { "key-a": generateJobs(1, 30), "key-b": generateJobs(2, 30) } },
      config: {
        apiKey: undefined,
        maxRetries: 0,
        responseCacheTtlMs: 60_000,
        responseCacheActiveTtlMs: ACTIVE_TTL_MS,
      },
    });
    idsOfA = (await restListing(one.demo, [], "key-a")).map((job) => String(job.id));
    idsOfB = (await restListing(one.demo, [], "key-b")).map((job) => String(job.id));
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    inspect?.disconnect();
    await redis?.close();
  });
  beforeEach(() => one.demo.reset());

  it("serves a page cached by one replica from the other, with no upstream call", async () => {
    const first = await one.query(IdsQuery, { first: 5 }, A);
    expect(ids(first)).toEqual(idsOfA.slice(0, 5));
    expect(one.demo.listCalls()).toBe(1);
    const again = await two.query(IdsQuery, { first: 5 }, A);
    expect(again).toEqual(first);
    expect(one.demo.listCalls()).toBe(1);
    // And the other way round.
    const fromTwo = await two.query(IdsQuery, { first: 6 }, A);
    expect(await one.query(IdsQuery, { first: 6 }, A)).toEqual(fromTwo);
    expect(one.demo.listCalls()).toBe(2);
    expect(await fallbacks(one, "response-cache")).toBe(0);
    expect(await fallbacks(two, "response-cache")).toBe(0);
  });

  it("never serves one credential's entry to another, and keeps no secret in Redis", async () => {
    await one.query(IdsQuery, { first: 4 }, A);
    const ofB = await two.query(IdsQuery, { first: 4 }, B);
    expect(ids(ofB)).toEqual(idsOfB.slice(0, 4));
    expect(one.demo.listCalls()).toBe(2);
    expect(one.demo.requests.map((request) => request.authorization)).toEqual([
      A.authorization,
      B.authorization,
    ]);
    // Each is then served its own from either replica.
    expect(ids(await two.query(IdsQuery, { first: 4 }, A))).toEqual(idsOfA.slice(0, 4));
    expect(ids(await one.query(IdsQuery, { first: 4 }, B))).toEqual(idsOfB.slice(0, 4));
    expect(one.demo.listCalls()).toBe(2);

    const keys = await inspect.keys("*");
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^cache-test:response-cache:[\w-]{43}$/);
    const values = await Promise.all(keys.map((key) => inspect.get(key)));
    for (const text of [...keys, ...values]) expect(text).not.toMatch(/key-a|key-b|Bearer/);
  });

  it("gives an answer that saw a RUNNING job the shorter lifetime, in Redis too", async () => {
    const running = { first: 3, filter: { status: "RUNNING" as const } };
    const finished = { first: 3, filter: { status: "COMPLETED" as const } };
    await inspect.flushdb();
    expect(ids(await one.query(IdsQuery, running, A))).toHaveLength(3);
    await one.query(IdsQuery, finished, A);
    expect(one.demo.listCalls()).toBe(2);

    const keys = await inspect.keys(`${PREFIX}response-cache:*`);
    const lifetimes = (await Promise.all(keys.map((key) => inspect.pttl(key)))).sort(
      (x, y) => x - y,
    );
    expect(lifetimes).toHaveLength(2);
    const [short = 0, long = 0] = lifetimes;
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(ACTIVE_TTL_MS);
    expect(long).toBeGreaterThan(ACTIVE_TTL_MS);
    // Redis expires the short one (waited for, not timed); the other replica then asks again
    // for the RUNNING answer, and still not for the finished one.
    await vi.waitFor(
      async () => expect(await inspect.keys(`${PREFIX}response-cache:*`)).toHaveLength(1),
      { timeout: 10_000, interval: 50 },
    );
    await two.query(IdsQuery, running, A);
    expect(one.demo.listCalls()).toBe(3);
    await two.query(IdsQuery, finished, A);
    expect(one.demo.listCalls()).toBe(3);
  });

  it("falls back to each replica's own cache while Redis is down, and shares again after", async () => {
    await inspect.flushdb();
    // Traffic on both replicas while Redis dies under it: every request is answered.
    const answers: Array<Awaited<ReturnType<Stack["query"]>>> = [];
    let killed: Promise<void> | undefined;
    for (let index = 0; index < 24; index++) {
      if (index === 8) killed = redis.kill();
      const replica = index % 2 === 0 ? one : two;
      answers.push(await replica.query(IdsQuery, { first: 1 + (index % 6) }, A));
    }
    await killed;
    await Promise.all([availability(one, false), availability(two, false)]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.errors).toBeUndefined();
    }

    // Down: each replica caches for itself. A miss on each, then a hit on each.
    one.demo.reset();
    const counted = [
      await fallbacks(one, "response-cache"),
      await fallbacks(two, "response-cache"),
    ];
    const page = { first: 9 };
    await one.query(IdsQuery, page, A);
    await two.query(IdsQuery, page, A);
    expect(one.demo.listCalls()).toBe(2);
    expect(ids(await one.query(IdsQuery, page, A))).toEqual(idsOfA.slice(0, 9));
    expect(ids(await two.query(IdsQuery, page, A))).toEqual(idsOfA.slice(0, 9));
    expect(one.demo.listCalls()).toBe(2);
    // Counted on each: a miss reads and writes locally (two), a hit reads (one).
    expect(await fallbacks(one, "response-cache")).toBe((counted[0] ?? 0) + 3);
    expect(await fallbacks(two, "response-cache")).toBe((counted[1] ?? 0) + 3);
    // Said once per replica, and reported by /readiness, which stays ready: the upstream is
    // what readiness is about.
    for (const replica of [one, two]) {
      expect(unavailableLines(replica)).toHaveLength(1);
      expect(await readiness(replica)).toEqual({
        status: 200,
        body: { status: "ready", redis: "unavailable" },
      });
    }

    // Back, without restarting either replica: sharing resumes.
    await redis.restart();
    await Promise.all([availability(one, true), availability(two, true)]);
    one.demo.reset();
    const after = { first: 11 };
    const fromOne = await one.query(IdsQuery, after, A);
    expect(await two.query(IdsQuery, after, A)).toEqual(fromOne);
    expect(one.demo.listCalls()).toBe(1);
    for (const replica of [one, two]) {
      expect((await readiness(replica)).body).toEqual({ status: "ready", redis: "available" });
      expect(unavailableLines(replica)).toHaveLength(1);
    }
  });
});

describe("response cache shared by two replicas: callers of one key with different projects", () => {
  let redis: TestRedis;
  let one: Replica;
  let two: Replica;
  let projects: string[];

  beforeAll(async () => {
    redis = await startRedis();
    [one, two] = await startReplicas(redis, {
      prefix: PREFIX,
      config: { callers: scopedCallers(), responseCacheTtlMs: 60_000 },
    });
    projects = (await demoProjects(one.demo)).projects;
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await redis?.close();
  });

  it("shares an entry only between callers who may see the same projects", async () => {
    const [p1 = "", p2 = ""] = projects;
    const ofP1 = await one.query(IdsQuery, { first: 5 }, await bearer("alice", [p1]));
    const ofP2 = await two.query(IdsQuery, { first: 5 }, await bearer("bob", [p2]));
    expect(ids(ofP2)).not.toEqual(ids(ofP1));
    expect(one.demo.listCalls()).toBe(2);
    // Another caller of p1, on the other replica: the same projects, so the same entry.
    expect(await two.query(IdsQuery, { first: 5 }, await bearer("carol", [p1]))).toEqual(ofP1);
    // p1 and p2 together is a scope of its own.
    await two.query(IdsQuery, { first: 5 }, await bearer("dave", [p1, p2]));
    expect(one.demo.listCalls()).toBe(3);
  });
});
