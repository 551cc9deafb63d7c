import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OPERATION_NAME_LIMITS } from "../src/observability/operation-names.js";
import { type Stack, startStack } from "./support/stack.js";

// Operation names are chosen by clients and become metric labels: these tests attack that from
// outside, over HTTP, and read the outcome on /metrics.

/** Each distinct operation_name label on graphql_operations_total, with its count. */
async function operationCounts(stack: Stack): Promise<Map<string, number>> {
  const response = await fetch(new URL("/metrics", stack.gatewayUrl));
  const counts = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const found = /^graphql_operations_total\{.*operation_name="([^"]*)"\} (\d+)$/.exec(line);
    if (found?.[1] !== undefined) {
      counts.set(found[1], (counts.get(found[1]) ?? 0) + Number(found[2]));
    }
  }
  return counts;
}

/** Runs `count` operations, `concurrency` at a time; `make(i)` gives the i-th document. */
async function flood(stack: Stack, count: number, make: (i: number) => string): Promise<void> {
  const concurrency = 16;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const answer = await stack.query(make(next++));
      // Valid junk: every one of them executes cleanly.
      expect(answer.errors).toBeUndefined();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const DASHBOARD = ["RecentJobs", "FailedJobs", "JobDetails"];

/** Runs each dashboard operation `times` times, as a dashboard polling would. */
async function dashboard(stack: Stack, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (const name of DASHBOARD) {
      expect((await stack.query(`query ${name} { __typename }`)).errors).toBeUndefined();
    }
  }
}

const MAX_LABELS = OPERATION_NAME_LIMITS.maxNames + 2; // and `other`, `anonymous`

describe("operation-name labels under a burst of distinct junk names", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("gives junk no label, and still gives recurring names theirs afterwards", async () => {
    // Three times the tracker's 1,000 counters: enough to saturate it, in a fraction of the time.
    await flood(stack, 3_000, (i) => `query junk${i} { __typename }`);
    let counts = await operationCounts(stack);
    expect(counts.get("other")).toBe(3_000);
    expect(counts.size).toBeLessThanOrEqual(MAX_LABELS);

    await dashboard(stack, OPERATION_NAME_LIMITS.claimAfter + 2);
    counts = await operationCounts(stack);
    // The first sightings before a name claims its label are counted as `other`: two, or three
    // when the tracker was full and the first sighting only made room.
    for (const name of DASHBOARD) expect([2, 3]).toContain(counts.get(name));
    expect(counts.size).toBeLessThanOrEqual(MAX_LABELS);
    expect([...counts.keys()].filter((name) => name.startsWith("junk"))).toEqual([]);
  }, 60_000);

  it("lets a name that recurs during the junk earn its label all the same", async () => {
    let i = 0;
    for (let round = 0; round < 10; round++) {
      // One run in 101 operations: far more often than 1 in the tracker's 1000 counters.
      await flood(stack, 100, () => `query burst${i++} { __typename }`);
      await stack.query("query Poller { __typename }");
    }
    const counts = await operationCounts(stack);
    expect(counts.get("Poller")).toBeGreaterThan(0);
    expect([...counts.keys()].filter((name) => name.startsWith("burst"))).toEqual([]);
  }, 60_000);
});

describe("operation-name labels: only clean executions earn one", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const badVariables =
    "query BadVars($first: Int) { parseJobs(first: $first) { edges { cursor } } }";
  // Eleven pages of 100 cost 11 × 150, above the default MAX_QUERY_COST of 1500.
  const costly = `query Costly { ${Array.from({ length: 11 }, (_, i) => `p${i}: parseJobs(first: 100) { edges { cursor } }`).join(" ")} }`;

  it("never labels a name whose operations a limit or their variables refused", async () => {
    for (let i = 0; i < 5; i++) {
      const bad = await stack.query(badVariables, { first: "many" });
      expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const refused = await stack.query(costly);
      expect(refused.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
    }
    const counts = await operationCounts(stack);
    expect(counts.has("BadVars")).toBe(false);
    expect(counts.has("Costly")).toBe(false);
    expect(counts.get("other")).toBe(10);
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("never labels (nor keeps) a name longer than the bound, however often it runs", async () => {
    // A name is one token: the body limit alone would let 1,000 counters hold 100 MB.
    const long = `N${"x".repeat(OPERATION_NAME_LIMITS.maxNameLength)}`;
    const before = (await operationCounts(stack)).get("other") ?? 0;
    for (let i = 0; i < OPERATION_NAME_LIMITS.claimAfter + 1; i++) {
      expect((await stack.query(`query ${long} { __typename }`)).errors).toBeUndefined();
    }
    const counts = await operationCounts(stack);
    expect(counts.has(long)).toBe(false);
    expect(counts.get("other")).toBe(before + OPERATION_NAME_LIMITS.claimAfter + 1);
  });

  it("counts a field error as a clean execution, and refusals of a labelled name under it", async () => {
    const page = "query Page($first: Int) { parseJobs(first: $first) { edges { cursor } } }";
    for (let i = 0; i < OPERATION_NAME_LIMITS.claimAfter; i++) {
      // A field error (the upstream refused the key) is the operation's own outcome.
      const answer = await stack.query(page, { first: 1 }, { authorization: "Bearer wrong" });
      expect(answer.errors?.[0]?.path?.[0]).toBe("parseJobs");
    }
    await stack.query(page, { first: "many" });
    expect((await operationCounts(stack)).get("Page")).toBe(2);
  });
});

describe("operation-name labels: held only while in use", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets a recurring name take the label of junk unused for an hour, never of names in use", async () => {
    // Only the clock: the sockets' timers stay real.
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    // Repeated junk can claim every label while labels are free...
    const junk = OPERATION_NAME_LIMITS.maxNames + 20;
    for (let round = 0; round < OPERATION_NAME_LIMITS.claimAfter; round++) {
      await flood(stack, junk, (i) => `query repeated${i} { __typename }`);
    }
    let counts = await operationCounts(stack);
    expect(counts.size).toBe(OPERATION_NAME_LIMITS.maxNames + 1); // and `other`
    const labelledJunk = [...counts.keys()].filter((name) => name.startsWith("repeated"));
    const inUse = labelledJunk[labelledJunk.length - 1];
    // ...and then holds them while it keeps coming: a new name waits under `other`.
    await dashboard(stack, OPERATION_NAME_LIMITS.claimAfter + 1);
    counts = await operationCounts(stack);
    for (const name of DASHBOARD) expect(counts.has(name)).toBe(false);

    // An hour on, junk that stopped coming gives its labels up, series and all; one junk name
    // still in use keeps its own.
    vi.setSystemTime(start + OPERATION_NAME_LIMITS.idleMs - 1000);
    await stack.query(`query ${inUse} { __typename }`);
    vi.setSystemTime(start + OPERATION_NAME_LIMITS.idleMs + 1000);
    await dashboard(stack, 1);
    counts = await operationCounts(stack);
    for (const name of DASHBOARD) expect(counts.get(name)).toBe(1);
    const kept = labelledJunk.filter((name) => counts.has(name));
    expect(kept).toHaveLength(labelledJunk.length - DASHBOARD.length);
    expect(kept).toContain(inUse);
    expect(counts.size).toBe(OPERATION_NAME_LIMITS.maxNames + 1);
  }, 60_000);
});
