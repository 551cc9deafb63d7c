/**
 * Issue 17, live job status: what bounds a subscription and what ends one. Limits refuse at
 * subscribe time with no upstream call; the upstream refusing the credential ends the stream with
 * that error and no job; transient failures leave it open.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callsOf,
  demoJobs,
  idsOf,
  LIVE,
  move,
  stateOf,
  takeStates,
  WATCH,
  waitForSubscriptions,
  watch,
} from "./support/live.js";
import { type Stack, startStack } from "./support/stack.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ config: { live: { ...LIVE, maxSubscriptionsPerCaller: 3 } } });
});

afterAll(async () => {
  await stack.close();
});

const codesOf = (event: { errors?: Array<{ extensions?: Record<string, unknown> }> } | null) =>
  event?.errors?.map((error) => error.extensions?.code);

describe("limits at subscribe time", () => {
  it("refuses 1,000 ids, 101 ids and none with BAD_USER_INPUT, without a call", async () => {
    const before = stack.demo.listCalls();
    for (const count of [1000, 101, 0]) {
      const ids = Array.from({ length: count }, (_, i) => `pjb-many-${i}`);
      const subscription = await watch(stack, ids);
      const events = await subscription.untilComplete();
      expect(events).toHaveLength(1);
      expect(codesOf(events[0] ?? null), `${count} ids`).toEqual(["BAD_USER_INPUT"]);
      expect(events[0]?.data ?? null).toBeNull();
    }
    // 100 copies of one id are one id.
    const same = await watch(
      stack,
      Array.from({ length: 150 }, () => "pjb-many-same"),
    );
    expect(await same.untilComplete()).toEqual([]);
    expect(stack.demo.listCalls()).toBe(before + 1);
    expect(stack.runtime.live.stats().subscriptions).toBe(0);
  });

  it("refuses a caller's subscription beyond MAX_SUBSCRIPTIONS_PER_CALLER until one closes", async () => {
    const jobs = demoJobs("cap", 1);
    stack.demo.addJobs(jobs);
    const open = await Promise.all([1, 2, 3].map(() => watch(stack, idsOf(jobs))));
    for (const subscription of open) await takeStates(subscription, 1);
    const before = stack.demo.listCalls();
    const refused = await watch(stack, idsOf(jobs));
    const events = await refused.untilComplete();
    expect(codesOf(events[0] ?? null)).toEqual(["TOO_MANY_SUBSCRIPTIONS"]);
    expect(events[0]?.errors?.[0]?.message).toContain("MAX_SUBSCRIPTIONS_PER_CALLER = 3");
    expect(stack.demo.listCalls()).toBe(before);
    open[0]?.close();
    await waitForSubscriptions(stack, 2);
    const admitted = await watch(stack, idsOf(jobs));
    expect(await takeStates(admitted, 1)).toEqual([`${idsOf(jobs)[0]} PENDING`]);
    for (const subscription of [...open, admitted]) subscription.close();
    await waitForSubscriptions(stack, 0);
  });

  it("answers a subscription POSTed for JSON only with 406 and leaves nothing open", async () => {
    for (const directPost of [true, false]) {
      const own = await startStack({ config: { live: LIVE, directPost } });
      try {
        const response = await fetch(own.gatewayUrl, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ query: WATCH, variables: { ids: ["pjb-json-only"] } }),
        });
        expect(response.status, `directPost ${directPost}`).toBe(406);
        expect(response.headers.get("accept")).toBe("text/event-stream");
        await waitForSubscriptions(own, 0);
      } finally {
        await own.close();
      }
    }
  });
});

describe("upstream failures", () => {
  it("keeps the stream open through transient failures and resumes", async () => {
    const jobs = demoJobs("flaky", 1);
    stack.demo.addJobs(jobs);
    const [id] = idsOf(jobs) as [string];
    const subscription = await watch(stack, [id]);
    await takeStates(subscription, 1);
    const before = callsOf(stack, "live-tick-").length;
    // Two whole ticks fail, retries included (2 retries each).
    stack.demo.inject({
      status: 503,
      times: 6,
      when: (r) => !!r.requestId?.startsWith("live-tick"),
    });
    move(stack, id, "RUNNING");
    expect(stateOf(await subscription.take(20_000))).toBe(`${id} RUNNING`);
    // Six failed attempts, then the tick that read the change: the stream never ended meanwhile.
    expect(callsOf(stack, "live-tick-").length).toBeGreaterThanOrEqual(before + 7);
    move(stack, id, "COMPLETED");
    expect(stateOf(await subscription.take())).toBe(`${id} COMPLETED`);
    expect(await subscription.take()).toBeNull();
  });

  it("ends the stream with FORBIDDEN when the upstream refuses the key", async () => {
    const jobs = demoJobs("refused", 1);
    stack.demo.addJobs(jobs);
    const subscription = await watch(stack, idsOf(jobs));
    await takeStates(subscription, 1);
    stack.demo.inject({ status: 403, when: (r) => !!r.requestId?.startsWith("live-tick") });
    const events = await subscription.untilComplete();
    expect(events).toHaveLength(1);
    expect(events[0]?.data ?? null).toBeNull();
    expect(codesOf(events[0] ?? null)).toEqual(["FORBIDDEN"]);
    await waitForSubscriptions(stack, 0);
  });
});
