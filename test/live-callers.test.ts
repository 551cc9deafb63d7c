/**
 * Issue 17, live job status, and the callers of issue 16: a subscription over SSE passes the same
 * gate as a query (authentication, rate limit), a bad key gets an error and never a job, limits
 * count per caller, and a caller limited to projects never receives another project's job.
 */
import { describe, expect, it } from "vitest";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import {
  callsOf,
  demoJobs,
  idsOf,
  LIVE,
  move,
  stateOf,
  takeStates,
  waitForSubscriptions,
  waitForTicks,
  watch,
} from "./support/live.js";
import { startStack } from "./support/stack.js";
import { bearer, scopedCallers } from "./support/tokens.js";

const codesOf = (event: { errors?: Array<{ extensions?: Record<string, unknown> }> } | null) =>
  event?.errors?.map((error) => error.extensions?.code);

describe("the caller gate", () => {
  it("refuses a subscription without a valid token, and one over the rate limit, with no call", async () => {
    const callers = scopedCallers({ rateLimitPerMinute: 2 });
    const own = await startStack({ config: { live: LIVE, callers } });
    try {
      const jobs = demoJobs("gate", 1, { projectId: "prj-live-a" });
      own.demo.addJobs(jobs);
      const anonymous = await watch(own, idsOf(jobs));
      expect(codesOf((await anonymous.untilComplete())[0] ?? null)).toEqual(["UNAUTHENTICATED"]);
      expect(own.demo.listCalls()).toBe(0);
      const headers = await bearer("carol", ["prj-live-a"]);
      const admitted = await Promise.all([1, 2].map(() => watch(own, idsOf(jobs), headers)));
      for (const subscription of admitted) await takeStates(subscription, 1);
      // The two admitted ones keep their poller ticking: the refused one must add no read.
      const reads = callsOf(own, "live-subscribe-").length;
      const limited = await watch(own, idsOf(jobs), headers);
      expect(codesOf((await limited.untilComplete())[0] ?? null)).toEqual(["RATE_LIMITED"]);
      expect(callsOf(own, "live-subscribe-")).toHaveLength(reads);
      expect(own.runtime.live.stats().subscriptions).toBe(2);
    } finally {
      await own.close();
    }
  });

  it("counts MAX_SUBSCRIPTIONS_PER_CALLER per authenticated subject", async () => {
    const own = await startStack({
      config: { live: { ...LIVE, maxSubscriptionsPerCaller: 1 }, callers: scopedCallers() },
    });
    try {
      const jobs = demoJobs("per-subject", 1, { projectId: "prj-live-a" });
      own.demo.addJobs(jobs);
      const [alice, bob] = await Promise.all([
        bearer("alice", ["prj-live-a"]),
        bearer("bob", ["prj-live-a"]),
      ]);
      const first = await watch(own, idsOf(jobs), alice);
      await takeStates(first, 1);
      const second = await watch(own, idsOf(jobs), alice);
      expect(codesOf((await second.untilComplete())[0] ?? null)).toEqual([
        "TOO_MANY_SUBSCRIPTIONS",
      ]);
      // Bob shares alice's projects, so her poller, but not her quota.
      const his = await watch(own, idsOf(jobs), bob);
      await takeStates(his, 1);
      expect(own.runtime.live.stats()).toMatchObject({ subscriptions: 2, pollers: 1 });
      first.close();
      his.close();
      await waitForSubscriptions(own, 0);
    } finally {
      await own.close();
    }
  });
});

describe("credentials and projects", () => {
  it("gives a caller with a bad key an error and no job (pass-through mode)", async () => {
    const own = await startStack({ config: { live: LIVE, apiKey: undefined } });
    try {
      const jobs = demoJobs("key", 1);
      own.demo.addJobs(jobs);
      const bad = await watch(own, idsOf(jobs), { authorization: "Bearer llx-wrong-key-000" });
      const events = await bad.untilComplete();
      expect(events).toHaveLength(1);
      expect(events[0]?.data ?? null).toBeNull();
      expect(codesOf(events[0] ?? null)).toEqual(["UNAUTHENTICATED"]);
      // No key at all: refused at subscribe, before any call.
      const calls = own.demo.listCalls();
      const none = await watch(own, idsOf(jobs));
      expect(codesOf((await none.untilComplete())[0] ?? null)).toEqual(["UNAUTHENTICATED"]);
      expect(own.demo.listCalls()).toBe(calls);
      // The right key sees the job.
      const good = await watch(own, idsOf(jobs), { authorization: `Bearer ${DEMO_KEY}` });
      expect(await takeStates(good, 1)).toEqual([`${idsOf(jobs)[0]} PENDING`]);
      good.close();
      await waitForSubscriptions(own, 0);
    } finally {
      await own.close();
    }
  });

  it("never sends a scoped caller a job of another project", async () => {
    const own = await startStack({ config: { live: LIVE, callers: scopedCallers() } });
    try {
      const mine = demoJobs("mine", 1, { projectId: "prj-live-a" });
      const theirs = demoJobs("theirs", 1, { projectId: "prj-live-b" });
      own.demo.addJobs([...mine, ...theirs]);
      const [myId, theirId] = [idsOf(mine)[0], idsOf(theirs)[0]] as [string, string];
      const headers = await bearer("alice", ["prj-live-a"]);
      const subscription = await watch(own, [myId, theirId], headers);
      expect(await takeStates(subscription, 1)).toEqual([`${myId} PENDING`]);
      move(own, theirId, "RUNNING");
      move(own, myId, "RUNNING");
      expect(stateOf(await subscription.take())).toBe(`${myId} RUNNING`);
      await waitForTicks(own, 2);
      move(own, myId, "COMPLETED");
      const rest = await subscription.untilComplete();
      expect(rest.map(stateOf)).toEqual([`${myId} COMPLETED`]);
      // Every call the poller made for alice named her project.
      const calls = callsOf(own, "live-");
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call.query.getAll("project_id")).toEqual(["prj-live-a"]);
    } finally {
      await own.close();
    }
  });
});
