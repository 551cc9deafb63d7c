/**
 * Issue 17, live job status, the core: `parseJobUpdates` over GraphQL over SSE against the demo
 * upstream, whose jobs the tests move while clients watch. Upstream calls are counted in the demo's
 * request log; the poller tags each call's `x-request-id` with why it read (`live-tick-…`,
 * `live-subscribe-…`), which is how calls are matched to ticks without reading a clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callsOf,
  counter,
  demoJobs,
  idsOf,
  LIVE,
  move,
  stateOf,
  takeStates,
  type Update,
  waitForSubscriptions,
  waitForTicks,
  watch,
} from "./support/live.js";
import type { SseSubscription } from "./support/sse.js";
import { type Stack, startStack } from "./support/stack.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ config: { live: LIVE } });
});

afterAll(async () => {
  await stack.close();
});

describe("parseJobUpdates over SSE", () => {
  it("sends each job's state at once, then each change, then completes", async () => {
    const jobs = [...demoJobs("flow-a", 1), ...demoJobs("flow-b", 1, { status: "RUNNING" })];
    stack.demo.addJobs(jobs);
    const [a, b] = idsOf(jobs) as [string, string];
    const subscription = await watch(stack, [a, b, "pjb-flow-missing"]);
    expect(subscription.status).toBe(200);
    expect(subscription.contentType).toContain("text/event-stream");
    expect(await takeStates(subscription, 2)).toEqual([`${a} PENDING`, `${b} RUNNING`]);

    move(stack, a, "RUNNING");
    expect(stateOf(await subscription.take())).toBe(`${a} RUNNING`);
    move(stack, b, "COMPLETED");
    expect(stateOf(await subscription.take())).toBe(`${b} COMPLETED`);
    // A new updatedAt with the same status is a change too.
    move(stack, a, "RUNNING");
    const again = await subscription.take();
    expect(stateOf(again)).toBe(`${a} RUNNING`);
    move(stack, a, "FAILED");
    const failed = await subscription.take();
    expect(failed?.data?.parseJobUpdates).toMatchObject({
      id: a,
      status: "FAILED",
      errorMessage: "Could not parse page 1",
    });
    // Every id finished or missing: the stream completes, and nothing is watched any more.
    expect(await subscription.take()).toBeNull();
    await subscription.ended;
    await waitForSubscriptions(stack, 0);
    expect(stack.runtime.live.stats()).toEqual({ subscriptions: 0, pollers: 0, watchedIds: 0 });
  });

  it("completes at once for finished, unknown and malformed ids; malformed ones cost nothing", async () => {
    const done = demoJobs("done", 2, { status: "COMPLETED" });
    stack.demo.addJobs(done);
    const before = stack.demo.listCalls();
    const subscription = await watch(stack, [...idsOf(done), "pjb-never-was", "not an id!"]);
    const events = await subscription.untilComplete();
    expect(events.map(stateOf).sort()).toEqual(idsOf(done).map((id) => `${id} COMPLETED`));
    // One read of the plausible ids, and no poll after it.
    const calls = stack.demo.requests.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query.getAll("job_ids").sort()).toEqual(
      [...idsOf(done), "pjb-never-was"].sort(),
    );
    await waitForSubscriptions(stack, 0);
  });

  it("costs one upstream call per tick for 20 subscribers watching 60 jobs, none once they leave", async () => {
    const jobs = demoJobs("crowd", 60);
    stack.demo.addJobs(jobs);
    const ids = idsOf(jobs);
    // Subscriber i watches jobs 3i … 3i+3: overlapping, 60 distinct ids in all.
    const watched = Array.from({ length: 20 }, (_, i) =>
      [0, 1, 2, 3].map((offset) => ids[(3 * i + offset) % 60] as string),
    );
    const subscriptions = await Promise.all(watched.map((mine) => watch(stack, mine)));
    for (const subscription of subscriptions) await takeStates(subscription, 4);
    expect(stack.runtime.live.stats()).toEqual({ subscriptions: 20, pollers: 1, watchedIds: 60 });
    const metrics = await (await fetch(stack.gatewayUrl.replace("/graphql", "/metrics"))).text();
    expect(metrics).toMatch(/^live_subscriptions 20$/m);
    expect(metrics).toMatch(/^live_watched_jobs 60$/m);

    const ticksBefore = callsOf(stack, "live-tick-").length;
    await waitForTicks(stack, 3);
    // Every tick is one request id; each made exactly one call, for all 60 ids.
    const byTick = new Map<string, number>();
    const tickCalls = callsOf(stack, "live-tick-").slice(ticksBefore);
    for (const call of tickCalls) {
      byTick.set(call.requestId as string, (byTick.get(call.requestId as string) ?? 0) + 1);
      expect(new Set(call.query.getAll("job_ids"))).toEqual(new Set(ids));
    }
    expect(byTick.size).toBeGreaterThanOrEqual(2);
    expect([...byTick.values()].every((calls) => calls === 1)).toBe(true);
    // The metrics agree: as many tick calls as ticks (a tick in flight may not have called yet).
    const ticks = await counter(stack, "live_poll_ticks_total");
    const calls = await counter(stack, "live_poll_calls_total", { reason: "tick" });
    expect(ticks - calls).toBeGreaterThanOrEqual(0);
    expect(ticks - calls).toBeLessThanOrEqual(1);

    // A change reaches exactly the subscribers watching that job.
    const [first] = ids as [string];
    move(stack, first, "RUNNING");
    const watchers = subscriptions.filter((_, i) => watched[i]?.includes(first));
    expect(watchers).toHaveLength(2);
    for (const subscription of watchers) {
      expect(stateOf(await subscription.take())).toBe(`${first} RUNNING`);
    }

    // Everyone leaves: the poller is dropped and makes no further call.
    for (const subscription of subscriptions) subscription.close();
    await waitForSubscriptions(stack, 0);
    const left = stack.demo.requests.length;
    // Another subscriber (same caller, other job) keeps a poller ticking: its ticks never again
    // ask for the 60 jobs.
    const [other] = demoJobs("crowd-other", 1);
    stack.demo.addJobs([other as NonNullable<typeof other>]);
    const otherId = String(other?.json.id);
    const last = await watch(stack, [otherId]);
    await last.take();
    await waitForTicks(stack, 3);
    const after = stack.demo.requests.slice(left);
    expect(after.length).toBeGreaterThanOrEqual(3);
    for (const call of after) expect(call.query.getAll("job_ids")).toEqual([otherId]);
    for (const subscription of subscriptions) expect(subscription.completed).toBe(false);
    last.close();
    await waitForSubscriptions(stack, 0);
  });

  it("reuses states the poller holds fresh for a new subscriber, without a call", async () => {
    const jobs = demoJobs("fresh", 2);
    stack.demo.addJobs(jobs);
    const first = await watch(stack, idsOf(jobs));
    await takeStates(first, 2);
    // Right after a tick the poller's states are at most one interval old.
    await waitForTicks(stack, 1);
    const before = stack.demo.listCalls();
    const second = await watch(stack, idsOf(jobs));
    expect(await takeStates(second, 2)).toEqual(
      idsOf(jobs)
        .map((id) => `${id} PENDING`)
        .sort(),
    );
    expect(
      callsOf(stack, "live-subscribe-").filter(
        (call) => stack.demo.requests.indexOf(call) >= before,
      ),
    ).toEqual([]);
    first.close();
    second.close();
    await waitForSubscriptions(stack, 0);
  });

  it("re-reads nudged jobs at once, nudges close together in one call", async () => {
    // A poll interval no test waits for: only the nudge can bring the change.
    const own = await startStack({ config: { live: { ...LIVE, statusPollMs: 600_000 } } });
    try {
      const jobs = demoJobs("nudged", 2);
      own.demo.addJobs(jobs);
      const [a, b] = idsOf(jobs) as [string, string];
      const subscription = await watch(own, [a, b]);
      await takeStates(subscription, 2);
      move(own, a, "RUNNING");
      move(own, b, "RUNNING");
      own.runtime.live.nudge([a]);
      own.runtime.live.nudge([b, "pjb-nobody-watches"]);
      expect(await takeStates(subscription, 2)).toEqual([`${a} RUNNING`, `${b} RUNNING`]);
      const nudges = callsOf(own, "live-nudge-");
      expect(nudges).toHaveLength(1);
      expect(nudges[0]?.query.getAll("job_ids").sort()).toEqual([a, b].sort());
      // A job nobody watches costs nothing.
      own.runtime.live.nudge(["pjb-nobody-watches"]);
      expect(callsOf(own, "live-tick-")).toEqual([]);
      subscription.close();
      await waitForSubscriptions(own, 0);
      expect(callsOf(own, "live-nudge-")).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it("completes every stream on close() (SIGTERM), and later subscriptions at once", async () => {
    const own = await startStack({ config: { live: LIVE } });
    try {
      const jobs = demoJobs("term", 2);
      own.demo.addJobs(jobs);
      const subscriptions: Array<SseSubscription<Update>> = await Promise.all([
        watch(own, idsOf(jobs)),
        watch(own, idsOf(jobs).slice(0, 1)),
      ]);
      for (const [index, subscription] of subscriptions.entries()) {
        await takeStates(subscription, index === 0 ? 2 : 1);
      }
      own.runtime.live.close();
      for (const subscription of subscriptions) {
        expect(await subscription.take()).toBeNull();
        await subscription.ended;
      }
      expect(own.runtime.live.stats()).toEqual({ subscriptions: 0, pollers: 0, watchedIds: 0 });
      const calls = own.demo.listCalls();
      const late = await watch(own, idsOf(jobs));
      expect(await late.untilComplete()).toEqual([]);
      expect(own.demo.listCalls()).toBe(calls);
    } finally {
      await own.close();
    }
  });
});
