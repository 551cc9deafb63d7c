/**
 * Issue 18, the live status across replicas when things go wrong or come from outside: Redis
 * killed mid-run (each replica polls alone, no subscription ends, one poll per tick once it is
 * back), a webhook taken by one replica for subscribers on another, and the upstream refusing the
 * credential. Two gateways in one process, one demo upstream, one real redis-server per test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import {
  callsOf,
  counter,
  demoJobs,
  idsOf,
  move,
  nextInstant,
  stateOf,
  takeStates,
  waitForTicks,
  watch,
} from "./support/live.js";
import {
  beats,
  holderOf,
  leases,
  monitorRedis,
  type Replicas,
  startReplicas,
  ticks,
  waitUntil,
} from "./support/live-replicas.js";
import { startRedis, type TestRedis } from "./support/redis.js";
import type { Stack } from "./support/stack.js";
import { deliver, event, WEBHOOK_SECRET, watchNew } from "./support/webhooks.js";

let redis: TestRedis | undefined;
let replicas: Replicas | undefined;

afterEach(async () => {
  await replicas?.close();
  await redis?.close();
  replicas = undefined;
  redis = undefined;
});

async function start(live = {}): Promise<[Stack, Stack]> {
  redis = await startRedis();
  replicas = await startReplicas(redis, { live });
  return replicas.stacks as [Stack, Stack];
}

const available = (stacks: Stack[], wanted: boolean) =>
  waitUntil(
    () => stacks.every((stack) => stack.runtime.shared?.available === wanted),
    `Redis ${wanted ? "back" : "gone"} on every replica`,
  );

describe("Redis away", () => {
  it("keeps every replica delivering, each polling alone, and shares one poll again once Redis is back", async () => {
    const [a, b] = await start();
    const jobs = demoJobs("redis-away", 2);
    replicas?.demo.addJobs(jobs);
    const [x, y] = idsOf(jobs) as [string, string];
    const onA = await watch(a, [x, y]);
    const onB = await watch(b, [x, y]);
    await Promise.all([takeStates(onA, 2), takeStates(onB, 2)]);
    await holderOf([a, b]);

    await redis?.kill();
    await available([a, b], false);
    // Both poll for themselves now, and both their subscribers see the change.
    await Promise.all([waitForTicks(a, 2), waitForTicks(b, 2)]);
    move(a, x, "RUNNING");
    expect(stateOf(await onA.take())).toBe(`${x} RUNNING`);
    expect(stateOf(await onB.take())).toBe(`${x} RUNNING`);
    for (const stack of [a, b]) {
      expect(
        await counter(stack, "redis_fallbacks_total", { feature: "live-status" }),
      ).toBeGreaterThan(0);
      expect(await beats(stack, "local")).toBeGreaterThan(0);
      expect(await leases(stack)).toBe(0);
    }

    await redis?.restart();
    await available([a, b], true);
    const [holder, [follower]] = await holderOf([a, b]);
    if (follower === undefined) throw new Error("two replicas");
    // A local read of the follower's may still have been under way: one more tick settles it.
    await waitForTicks(holder, 1);
    const followerTicks = await ticks(follower);
    const before = callsOf(holder, "live-tick-").length;
    const holderTicks = await ticks(holder);
    await waitForTicks(holder, 3);
    const calls = callsOf(holder, "live-tick-").slice(before);
    expect(new Set(calls.map((call) => call.requestId)).size).toBe(calls.length);
    expect(Math.abs(calls.length - ((await ticks(holder)) - holderTicks))).toBeLessThanOrEqual(1);
    expect(await ticks(follower)).toBe(followerTicks);

    move(b, y, "RUNNING");
    expect(stateOf(await onA.take())).toBe(`${y} RUNNING`);
    expect(stateOf(await onB.take())).toBe(`${y} RUNNING`);
    // No subscription ended on the way.
    for (const stack of [a, b]) expect(stack.runtime.live.stats().subscriptions).toBe(1);
    expect(onA.completed || onB.completed).toBe(false);
    onA.close();
    onB.close();
  });
});

describe("webhooks across replicas", () => {
  it("brings a webhook taken by one replica to the subscribers of another, for one upstream call", async () => {
    // No tick comes within the test: whatever a subscriber sees, a nudge brought.
    const [a, b] = await start({ statusPollMs: 60_000, webhookSecret: WEBHOOK_SECRET });
    const path = new URL("/webhooks/llamacloud", a.gatewayUrl);
    const { id, subscription: onB } = await watchNew(b, "hook-cross");
    await waitUntil(async () => (await leases(b)) === 1, "B to hold the lease");

    // A has no subscriber at all: it only passes the nudge on.
    move(b, id, "RUNNING");
    const nudges = callsOf(b, "live-nudge-").length;
    expect((await deliver(path, event(id))).status).toBe(202);
    expect(stateOf(await onB.take())).toBe(`${id} RUNNING`);
    expect(callsOf(b, "live-nudge-").slice(nudges)).toHaveLength(1);
    expect(a.runtime.live.stats().pollers).toBe(0);

    // Subscribers on both: A (a follower) takes the webhook, B re-reads once, both are told.
    const onA = await watch(a, [id]);
    expect(await takeStates(onA, 1)).toEqual([`${id} RUNNING`]);
    // Before its first beat, A would take the webhook for itself too (it cannot know yet).
    await waitUntil(async () => (await beats(a, "follower")) > 0, "A to follow B");
    move(a, id, "COMPLETED");
    const again = callsOf(a, "live-nudge-").length;
    expect((await deliver(path, event(id))).status).toBe(202);
    expect(stateOf(await onA.take())).toBe(`${id} COMPLETED`);
    expect(stateOf(await onB.take())).toBe(`${id} COMPLETED`);
    const calls = callsOf(a, "live-nudge-").slice(again);
    expect(calls.map((call) => call.query.getAll("job_ids"))).toEqual([[id]]);
    expect(callsOf(a, "live-tick-")).toEqual([]);
    expect(await onA.take()).toBeNull();
    expect(await onB.take()).toBeNull();
  });
});

describe("the upstream refusing the credential", () => {
  it("ends the subscriptions on every replica with UNAUTHENTICATED, the key never published", async () => {
    const [a, b] = await start();
    const monitor = await monitorRedis(redis as TestRedis);
    const jobs = demoJobs("refused-cluster", 1);
    replicas?.demo.addJobs(jobs);
    const onA = await watch(a, idsOf(jobs));
    const onB = await watch(b, idsOf(jobs));
    await Promise.all([takeStates(onA, 1), takeStates(onB, 1)]);
    await holderOf([a, b]);
    // One refusal, for one call: only the holder meets it, and the follower's subscriber can
    // only end with it because the holder published it.
    // The answer quotes the key, as some upstreams do: the refusal published to the other
    // replica is the one clients see, with the key taken out.
    replicas?.demo.inject({
      status: 401,
      times: 1,
      body: JSON.stringify({ detail: `Invalid API key ${DEMO_KEY}` }),
      when: (request) => !!request.requestId?.startsWith("live-tick"),
    });
    for (const subscription of [onA, onB]) {
      const events = await subscription.untilComplete();
      expect(events).toHaveLength(1);
      expect(events[0]?.data ?? null).toBeNull();
      expect(events[0]?.errors?.map((error) => error.extensions?.code)).toEqual([
        "UNAUTHENTICATED",
      ]);
      expect(JSON.stringify(events)).not.toContain(DEMO_KEY);
    }
    monitor.stop();
    const published = monitor.lines.filter((line) => /^publish .*UNAUTHENTICATED/i.test(line));
    expect(published).toHaveLength(1);
    expect(monitor.lines.filter((line) => line.includes(DEMO_KEY))).toEqual([]);
    await waitUntil(
      () => [a, b].every((stack) => stack.runtime.live.stats().subscriptions === 0),
      "every subscription over",
    );
  });
});

describe("what the holder read, as every replica shows it", () => {
  it("shows a field the upstream sent unusable, and a job that went away, alike on both", async () => {
    const [a, b] = await start();
    const jobs = demoJobs("odd", 2);
    replicas?.demo.addJobs(jobs);
    const [odd, gone] = idsOf(jobs) as [string, string];
    const onA = await watch(a, [odd, gone]);
    const onB = await watch(b, [odd, gone]);
    await Promise.all([takeStates(onA, 2), takeStates(onB, 2)]);
    await holderOf([a, b]);
    // An error_message that is no string: that field's error, the rest of the job as sent.
    const changes = { status: "RUNNING", updated_at: nextInstant(), error_message: 42 };
    replicas?.demo.updateJob(odd, changes);
    const [fromA, fromB] = await Promise.all([onA.take(), onB.take()]);
    expect(fromB).toEqual(fromA);
    expect(stateOf(fromA)).toBe(`${odd} RUNNING`);
    expect(fromA?.errors?.map((error) => error.extensions?.code)).toEqual([
      "UPSTREAM_BAD_RESPONSE",
    ]);
    // A job deleted leaves both streams without an event; the other's completion ends them.
    replicas?.demo.removeJobs([gone]);
    move(a, odd, "COMPLETED");
    for (const subscription of [onA, onB]) {
      const events = await subscription.untilComplete();
      expect(events.map(stateOf)).toEqual([`${odd} COMPLETED`]);
    }
  });
});
