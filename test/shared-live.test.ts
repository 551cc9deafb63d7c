/**
 * Issue 18, the live status across replicas: two gateways in one process, on one demo upstream
 * (which logs every call, so calls are counted exactly, by their `live-tick-…` request ids) and
 * one real redis-server, polling every 250 ms. Which replica polls is read from its metrics
 * (`live_leases_held`), how long a handover took from its beats (`live_lease_beats_total`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import {
  callsOf,
  demoJobs,
  idsOf,
  move,
  stateOf,
  takeStates,
  type Update,
  waitForSubscriptions,
  waitForTicks,
  watch,
} from "./support/live.js";
import {
  beats,
  crash,
  holderOf,
  leases,
  monitorRedis,
  type Replicas,
  startReplicas,
  ticks,
  waitUntil,
} from "./support/live-replicas.js";
import { startRedis, type TestRedis } from "./support/redis.js";
import type { SseSubscription } from "./support/sse.js";
import type { Stack } from "./support/stack.js";

let redis: TestRedis;
let monitor: Awaited<ReturnType<typeof monitorRedis>>;
let replicas: Replicas | undefined;

beforeAll(async () => {
  redis = await startRedis();
  monitor = await monitorRedis(redis);
});
afterEach(async () => {
  await replicas?.close();
  replicas = undefined;
});
afterAll(async () => {
  // Either may be missing when `beforeAll` failed; the server must be stopped all the same.
  monitor?.stop();
  await redis?.close();
});

/** The job ids of one demo call. */
const idsIn = (call: { query: URLSearchParams }) => new Set(call.query.getAll("job_ids"));

/** Waits until `stack` watches nothing and holds no lease. */
async function drained(stack: Stack): Promise<void> {
  await waitForSubscriptions(stack, 0);
  await waitUntil(async () => (await leases(stack)) === 0, "the lease given up");
}

describe("one status poll for the cluster", () => {
  it("costs one upstream call per tick for 20 subscribers split over two replicas, and brings each change to both", async () => {
    replicas = await startReplicas(redis);
    const [a, b] = replicas.stacks as [Stack, Stack];
    const jobs = demoJobs("split", 6);
    replicas.demo.addJobs(jobs);
    const ids = idsOf(jobs);
    // A's subscribers watch jobs 0-3, B's jobs 2-5: only the union covers all six.
    const pairOf = (offset: number, i: number) => [
      ids[offset + (i % 4)],
      ids[offset + ((i + 1) % 4)],
    ];
    const mine = (offset: number) =>
      Array.from({ length: 10 }, (_, i) => pairOf(offset, i) as string[]);
    const onA = await Promise.all(mine(0).map((pair) => watch(a, pair)));
    const onB = await Promise.all(mine(2).map((pair) => watch(b, pair)));
    for (const subscription of [...onA, ...onB]) await takeStates(subscription, 2);

    const [holder, [follower]] = await holderOf([a, b]);
    if (follower === undefined) throw new Error("two replicas");
    // The holder's union takes in the follower's ids at its next beat.
    await waitUntil(() => {
      const last = callsOf(holder, "live-tick-").at(-1);
      return last !== undefined && idsIn(last).size === 6;
    }, "a tick of all six jobs");
    await waitForTicks(holder, 1);
    const followerTicks = await ticks(follower);
    const followerBeats = await beats(follower, "follower");
    const holderTicks = await ticks(holder);
    const before = callsOf(holder, "live-tick-").length;
    await waitForTicks(holder, 3);
    const calls = callsOf(holder, "live-tick-").slice(before);
    const ticked = (await ticks(holder)) - holderTicks;
    // Each tick is one request id with exactly one call, for the union of both replicas' ids.
    expect(new Set(calls.map((call) => call.requestId)).size).toBe(calls.length);
    for (const call of calls) expect(idsIn(call)).toEqual(new Set(ids));
    // As many calls as the holder's ticks (one may be in flight at either end) …
    expect(Math.abs(calls.length - ticked)).toBeLessThanOrEqual(1);
    // … and none from the follower, which kept beating (registering its ids) meanwhile.
    expect(await ticks(follower)).toBe(followerTicks);
    expect(await beats(follower, "follower")).toBeGreaterThan(followerBeats);

    // A change reaches exactly the subscribers watching that job, on whichever replica.
    const watching = (subscriptions: SseSubscription<Update>[], offset: number, id: string) =>
      subscriptions.filter((_, i) => pairOf(offset, i).includes(id));
    for (const id of [ids[3], ids[0], ids[5]] as string[]) {
      move(a, id, "RUNNING");
      const audience = [...watching(onA, 0, id), ...watching(onB, 2, id)];
      expect(audience.length).toBeGreaterThan(0);
      for (const subscription of audience) {
        expect(stateOf(await subscription.take())).toBe(`${id} RUNNING`);
      }
    }
    for (const subscription of [...onA, ...onB]) subscription.close();
    await Promise.all([drained(a), drained(b)]);
  });

  it("gives a new subscriber on the other replica the holder's states, with no call of its own", async () => {
    replicas = await startReplicas(redis);
    const [a, b] = replicas.stacks as [Stack, Stack];
    const jobs = demoJobs("held", 2);
    replicas.demo.addJobs(jobs);
    const first = await watch(a, idsOf(jobs));
    await takeStates(first, 2);
    await waitUntil(async () => (await leases(a)) === 1, "A to hold the lease");
    // A tick has ended (the next has begun): the holder's states are in Redis, and it keeps
    // them there, renewed every tick, while it polls.
    await waitForTicks(a, 2);
    const { demo } = replicas;
    const before = demo.requests.length;
    const second = await watch(b, idsOf(jobs));
    const expected = idsOf(jobs).map((id) => `${id} PENDING`);
    expect(await takeStates(second, 2)).toEqual(expected.sort());
    const own = callsOf(b, "live-subscribe-").filter(
      (call) => demo.requests.indexOf(call) >= before,
    );
    expect(own).toEqual([]);
    first.close();
    second.close();
    await Promise.all([drained(a), drained(b)]);
  });
});

describe("handover", () => {
  /** Two replicas whose subscribers both watch two new jobs; answers holder and follower. */
  async function watchedOnBoth(prefix: string) {
    replicas = await startReplicas(redis);
    const stacks = replicas.stacks as [Stack, Stack];
    const jobs = demoJobs(prefix, 2);
    replicas.demo.addJobs(jobs);
    const subscriptions = new Map<Stack, SseSubscription<Update>>();
    for (const stack of stacks) {
      const subscription = await watch(stack, idsOf(jobs));
      await takeStates(subscription, 2);
      subscriptions.set(stack, subscription);
    }
    const [holder, [follower]] = await holderOf(stacks);
    if (follower === undefined) throw new Error("two replicas");
    const on = (stack: Stack) => subscriptions.get(stack) as SseSubscription<Update>;
    return { ids: idsOf(jobs) as [string, string], holder, follower, on };
  }

  it("hands the poll over at once when the holder shuts down (SIGTERM)", async () => {
    const { ids, holder, follower, on } = await watchedOnBoth("handover");
    const followed = await beats(follower, "follower");
    // What SIGTERM does first (src/index.ts): every stream completes, every poller leaves.
    holder.runtime.live.close();
    expect(await on(holder).take()).toBeNull();
    await replicas?.stop(holder);
    await waitUntil(async () => (await leases(follower)) === 1, "the follower to take over");
    // The holder gave the lease up and said so: no interval was waited for.
    expect((await beats(follower, "follower")) - followed).toBeLessThanOrEqual(1);
    move(follower, ids[0], "RUNNING");
    expect(stateOf(await on(follower).take())).toBe(`${ids[0]} RUNNING`);
    on(follower).close();
    await drained(follower);
  });

  it("takes over within two ticks when the holder dies, and its subscribers keep receiving", async () => {
    const { ids, holder, follower, on } = await watchedOnBoth("takeover");
    const followed = await beats(follower, "follower");
    const before = callsOf(follower, "live-tick-").length;
    crash(holder);
    await waitUntil(async () => (await leases(follower)) === 1, "the follower to take over");
    // The lease lapses two intervals after its last renewal, and the follower beats when it
    // lapses: at most two of its beats found it still held.
    expect((await beats(follower, "follower")) - followed).toBeLessThanOrEqual(2);
    move(follower, ids[1], "RUNNING");
    expect(stateOf(await on(follower).take())).toBe(`${ids[1]} RUNNING`);
    expect(callsOf(follower, "live-tick-").length).toBeGreaterThan(before);
    on(follower).close();
    await drained(follower);
  });

  it("lets a dead replica's ids fade out of the poll", async () => {
    replicas = await startReplicas(redis);
    const [a, b] = replicas.stacks as [Stack, Stack];
    const jobs = demoJobs("fade", 2);
    replicas.demo.addJobs(jobs);
    const [gone, kept] = idsOf(jobs) as [string, string];
    const onA = await watch(a, [gone]);
    const onB = await watch(b, [kept]);
    await Promise.all([takeStates(onA, 1), takeStates(onB, 1)]);
    const [holder] = await holderOf([a, b]);
    await waitUntil(() => {
      const last = callsOf(holder, "live-tick-").at(-1);
      return last !== undefined && idsIn(last).size === 2;
    }, "a tick of both jobs");
    const before = callsOf(b, "live-tick-").length;
    crash(a);
    await waitUntil(async () => (await leases(b)) === 1, "B to poll");
    await waitUntil(() => {
      const last = callsOf(b, "live-tick-").at(-1);
      return last !== undefined && !idsIn(last).has(gone);
    }, "A's job to leave the poll");
    const since = callsOf(b, "live-tick-").length;
    // A registered its ids for three intervals: they are polled for at most that long.
    const stale = callsOf(b, "live-tick-")
      .slice(before)
      .filter((call) => idsIn(call).has(gone));
    expect(stale.length).toBeLessThanOrEqual(4);
    await waitForTicks(b, 2);
    for (const call of callsOf(b, "live-tick-").slice(since)) {
      expect(idsIn(call)).toEqual(new Set([kept]));
    }
    move(b, kept, "COMPLETED");
    expect(stateOf(await onB.take())).toBe(`${kept} COMPLETED`);
    expect(await onB.take()).toBeNull();
    await drained(b);
  });
});

describe("what Redis sees", () => {
  it("never a credential: no key, no value, no message held the API key", () => {
    // Every command of every test above, as MONITOR saw it (scripts' own commands included).
    expect(monitor.lines.length).toBeGreaterThan(100);
    expect(monitor.lines.some((line) => line.includes("live:lease:"))).toBe(true);
    expect(monitor.lines.some((line) => /^publish /i.test(line))).toBe(true);
    const leaked = monitor.lines.filter((line) => /llx-|bearer|authorization/i.test(line));
    expect(leaked).toEqual([]);
    expect(monitor.lines.join("\n")).not.toContain(DEMO_KEY);
  });
});
