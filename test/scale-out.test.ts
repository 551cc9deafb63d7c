/**
 * Issue 18, scale-out, from outside: two gateway processes (`npm start`'s entry point) sharing
 * one real redis-server, behind a round-robin balancer (test/support/round-robin.ts), in front of
 * one demo upstream that counts every call. Which replica answered a request is read from the
 * balancer's log; what each replica did, from its own `/metrics` and log; what reached the
 * upstream, from the demo's request log, where the live status poll tags each read with why it
 * was made (`live-tick-…`, `live-subscribe-…`, `live-nudge-…` in `x-request-id`), which is how
 * calls are matched to ticks without reading a clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { demoJobs, idsOf, nextInstant, stateOf, type Update, WATCH } from "./support/live.js";
import { startRedis, type TestRedis } from "./support/redis.js";
import {
  type Cluster,
  type ReplicaProcess as Replica,
  startCluster,
} from "./support/replica-processes.js";
import { waitFor } from "./support/spawned.js";
import { type SseSubscription, subscribeSse } from "./support/sse.js";
import { asGraphQL, restListing } from "./support/stack.js";
import { deliver, event, WEBHOOK_SECRET } from "./support/webhooks.js";
import { wsClient } from "./support/ws.js";

/** Starting two processes that each compile the sources through tsx takes a while on 2 cores. */
const START_MS = 90_000;
/** A bound for each test: several wait for ticks and reconnections on a busy machine. */
const TEST_MS = 60_000;
/** The poll interval of the clusters that poll: short, so that a test sees several ticks. */
const POLL_MS = 500;

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

interface Answer<T> extends GraphQLBody<T> {
  status: number;
  retryAfter: string | null;
}

/** Posts a query to `url` (the balancer's, or one replica's own). */
async function post<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    ...((await response.json()) as GraphQLBody<T>),
  };
}

const WALK = `query Walk($first: Int, $after: String) {
  parseJobs(first: $first, after: $after) {
    edges { node { id projectId status createdAt updatedAt errorMessage name tier } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface WalkPage {
  parseJobs: {
    edges: Array<{ node: Record<string, unknown> }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** The demo's list calls whose request id starts with `prefix` (`live-tick-`, …). */
function callsOf(demo: DemoUpstream, prefix: string) {
  return demo.requests.filter(
    (request) => request.path === "/api/v2/parse" && request.requestId?.startsWith(prefix),
  );
}

/** Moves a job on in the demo upstream, as LlamaCloud would. */
function move(demo: DemoUpstream, id: string, status: string): void {
  if (!demo.updateJob(id, { status, updated_at: nextInstant() })) throw new Error(`no job ${id}`);
}

/** The index of the replica that answered the balancer's latest request. */
function lastTarget(cluster: Cluster): number {
  const last = cluster.balancer.routed.at(-1);
  if (last === undefined) throw new Error("the balancer has routed nothing yet");
  return last.target;
}

/** Tick calls each replica has made so far (its own metrics). */
function tickCalls(replicas: readonly Replica[]): Promise<number[]> {
  return Promise.all(
    replicas.map((replica) => replica.metric("live_poll_calls_total", { reason: "tick" })),
  );
}

/** The tick calls each replica makes over the next `count` ticks of the cluster. */
async function tickCallsOver(
  demo: DemoUpstream,
  replicas: readonly Replica[],
  count: number,
): Promise<number[]> {
  const before = await tickCalls(replicas);
  await waitForTickCalls(demo, callsOf(demo, "live-tick-").length, count);
  const after = await tickCalls(replicas);
  return after.map((calls, index) => calls - (before[index] ?? 0));
}

/** Waits until the demo has seen `count` more tick calls than `before`. */
async function waitForTickCalls(demo: DemoUpstream, before: number, count: number): Promise<void> {
  await waitFor(
    () => callsOf(demo, "live-tick-").length >= before + count,
    `${count} tick calls`,
    20_000,
  );
}

/** Polls an asynchronous condition until it holds, or fails naming `what` after `timeoutMs`. */
async function eventually(
  predicate: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Every subscription a test opens, closed after it whatever its outcome: one left open would
 * count against MAX_SUBSCRIPTIONS_PER_CALLER in the next test.
 */
const opened: Array<SseSubscription<Update>> = [];
/** The replicas of the cluster running now, whose subscriptions must be gone after each test. */
let running: Replica[] = [];

/** Subscribes to `parseJobUpdates` over SSE at `url` (the balancer's, or one replica's). */
async function watch(url: string, ids: readonly string[]): Promise<SseSubscription<Update>> {
  const subscription = await subscribeSse<Update>(url, WATCH, { ids });
  opened.push(subscription);
  return subscription;
}

afterEach(async () => {
  for (const subscription of opened.splice(0)) subscription.close();
  // Told by the replicas themselves rather than by the client's `ended`: a fetch aborted in the
  // instant between a stream's last event and its end can stay pending in Node's fetch.
  const alive = running.filter(
    ({ process: { child } }) => child.exitCode === null && child.signalCode === null,
  );
  await eventually(
    async () =>
      (await Promise.all(alive.map((replica) => replica.metric("live_subscriptions")))).every(
        (count) => count === 0,
      ),
    "every subscription to be gone from the replicas",
  );
});

/** A subscriber through the balancer, and the replica that serves it. */
interface Watcher {
  ids: string[];
  replica: number;
  subscription: SseSubscription<Update>;
}

/**
 * Opens `count` subscriptions through the balancer one after the other (so the balancer
 * alternates them over the replicas), subscriber i watching `ids[3i … 3i+2]`, and takes each
 * one's first states.
 */
async function subscribeSplit(cluster: Cluster, ids: readonly string[], count: number) {
  const watchers: Watcher[] = [];
  for (let index = 0; index < count; index++) {
    const mine = ids.slice(3 * index, 3 * index + 3);
    const subscription = await watch(cluster.url, mine);
    expect(subscription.status).toBe(200);
    watchers.push({ ids: mine, replica: lastTarget(cluster), subscription });
  }
  for (const watcher of watchers) {
    const states: string[] = [];
    for (let n = 0; n < watcher.ids.length; n++) {
      states.push(stateOf(await watcher.subscription.take()));
    }
    expect(states.sort()).toEqual(watcher.ids.map((id) => `${id} PENDING`).sort());
  }
  return watchers;
}

describe("two replicas with one Redis, behind a round-robin balancer", { timeout: TEST_MS }, () => {
  let redis: TestRedis;
  let demo: DemoUpstream;
  let cluster: Cluster;
  let replicas: Replica[];

  beforeAll(async () => {
    [redis, demo] = await Promise.all([startRedis(), startDemoUpstream()]);
    cluster = await startCluster(demo, redis, {
      RESPONSE_CACHE_TTL_MS: "60000",
      // Every page of the demo holds PENDING or RUNNING jobs, whose answers live only this long
      // (1 s by default): a slow moment between two requests must not look like a miss.
      RESPONSE_CACHE_ACTIVE_TTL_MS: "60000",
      STATUS_POLL_MS: String(POLL_MS),
    });
    replicas = cluster.replicas;
    running = replicas;
  }, START_MS);

  afterAll(async () => {
    // Each on its own: one that fails must not leave the others running.
    await Promise.allSettled([cluster?.close(), demo?.close(), redis?.close()]);
  });

  it("walks the whole listing alternating replicas: the REST listing, at the ideal call count", async () => {
    const listing = await restListing(demo);
    demo.reset();
    const routedBefore = cluster.balancer.routed.length;
    const seen: Array<Record<string, unknown>> = [];
    let after: string | null = null;
    for (;;) {
      const answer: Answer<WalkPage> = await post<WalkPage>(cluster.url, WALK, {
        first: 20,
        after,
      });
      expect(answer.errors).toBeUndefined();
      const page = answer.data?.parseJobs;
      if (page === undefined) throw new Error("no page");
      seen.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    // Every job once, in REST order, every field as the REST item says.
    expect(seen).toEqual(listing.map(asGraphQL));
    expect(seen).toHaveLength(320);
    // Each page's cursor came from the other replica: cursors carry their own state.
    const targets = cluster.balancer.routed.slice(routedBefore).map((entry) => entry.target);
    expect(targets).toHaveLength(16);
    for (let index = 1; index < targets.length; index++) {
      expect(targets[index]).not.toBe(targets[index - 1]);
    }
    // ⌈320 / 20⌉ pages, one call each: no replica re-read what the other had read.
    expect(demo.listCalls()).toBe(16);
  });

  it("serves a page cached by one replica from the other, without an upstream call", async () => {
    demo.reset();
    const query = "{ parseJobs(first: 7) { edges { node { id status } } } }";
    const first = await post(cluster.url, query);
    const firstReplica = lastTarget(cluster);
    expect(first.errors).toBeUndefined();
    expect(demo.listCalls()).toBe(1);
    const again = await post(cluster.url, query);
    expect(lastTarget(cluster)).not.toBe(firstReplica);
    expect(again.data).toEqual(first.data);
    expect(demo.listCalls()).toBe(1);
  });

  it("costs one poll per tick for 20 subscribers split over both replicas", async () => {
    const jobs = demoJobs("split", 60);
    demo.addJobs(jobs);
    const ids = idsOf(jobs);
    const watchers = await subscribeSplit(cluster, ids, 20);
    // Ten on each replica, each watching three ids of its own: 30 distinct ids per replica.
    expect(watchers.filter((watcher) => watcher.replica === 0)).toHaveLength(10);
    expect(watchers.filter((watcher) => watcher.replica === 1)).toHaveLength(10);
    for (const replica of replicas) expect(await replica.metric("live_subscriptions")).toBe(10);
    // The polling replica learns the other's ids at its next beat, up to one interval after they
    // came (their first states were read where they were watched): from the next tick on, it
    // polls them all.
    await waitForTickCalls(demo, callsOf(demo, "live-tick-").length, 1);

    const callsBefore = callsOf(demo, "live-tick-").length;
    const replicaCallsBefore = await tickCalls(replicas);
    await waitForTickCalls(demo, callsBefore, 3);
    const replicaCallsAfter = await tickCalls(replicas);
    const ticks = callsOf(demo, "live-tick-").slice(callsBefore);
    // Every tick is one read (one request id) of one call, for the ids watched on both replicas.
    expect(new Set(ticks.map((call) => call.requestId)).size).toBe(ticks.length);
    for (const call of ticks) expect(new Set(call.query.getAll("job_ids"))).toEqual(new Set(ids));
    // And one replica made them all: the other polled nothing.
    const moved = replicaCallsAfter.map((after, index) => after - (replicaCallsBefore[index] ?? 0));
    expect(moved.filter((count) => count > 0)).toHaveLength(1);
    // It is the one holding the scope's lease in Redis.
    const leases = await Promise.all(replicas.map((replica) => replica.metric("live_leases_held")));
    expect(leases).toEqual(moved.map((count) => (count > 0 ? 1 : 0)));

    // A change reaches the subscribers watching it, on either replica.
    const onFirst = watchers.find((watcher) => watcher.replica === 0) as Watcher;
    const onSecond = watchers.find((watcher) => watcher.replica === 1) as Watcher;
    const [a, b] = [onFirst.ids[0] as string, onSecond.ids[0] as string];
    move(demo, a, "RUNNING");
    move(demo, b, "RUNNING");
    expect(stateOf(await onFirst.subscription.take())).toBe(`${a} RUNNING`);
    expect(stateOf(await onSecond.subscription.take())).toBe(`${b} RUNNING`);
  });

  it("passes WebSocket upgrades through: one job watched over WebSocket and SSE on both replicas", async () => {
    const jobs = demoJobs("transports", 1);
    demo.addJobs(jobs);
    const [id] = idsOf(jobs) as [string];
    const upgradesBefore = cluster.balancer.upgrades.length;
    const ws = wsClient(cluster.url.replace(/^http/, "ws"));
    try {
      const overWs = ws.start<Update>({ query: WATCH, variables: { ids: [id] } });
      expect(stateOf(await overWs.next())).toBe(`${id} PENDING`);
      const wsReplica = cluster.balancer.upgrades[upgradesBefore];
      const overSse = await watch(cluster.url, [id]);
      expect(lastTarget(cluster)).not.toBe(wsReplica);
      expect(stateOf(await overSse.take())).toBe(`${id} PENDING`);

      move(demo, id, "COMPLETED");
      expect(stateOf(await overWs.next())).toBe(`${id} COMPLETED`);
      expect(stateOf(await overSse.take())).toBe(`${id} COMPLETED`);
      expect((await overWs.outcome).completed).toBe(true);
      expect(await overSse.take()).toBeNull();
    } finally {
      await ws.dispose();
    }
  });

  it("loses no request when Redis dies mid-run, and shares again once it is back", async () => {
    // One subscriber on each replica, straight to it, each watching a job of its own.
    const jobs = demoJobs("outage", 2);
    demo.addJobs(jobs);
    const [mine, theirs] = idsOf(jobs) as [string, string];
    const watchers = await Promise.all(
      replicas.map((replica, index) => watch(replica.graphqlUrl, [idsOf(jobs)[index] as string])),
    );
    for (const [index, watcher] of watchers.entries()) {
      expect(stateOf(await watcher.take())).toBe(`${idsOf(jobs)[index]} PENDING`);
    }

    // Four clients keep asking through the balancer the whole time: pages of every size from 1
    // to 30, so some answers come from the cache and some are fetched and stored.
    const failures: string[] = [];
    let answered = 0;
    let sending = true;
    const client = async (n: number) => {
      for (let i = 0; sending; i++) {
        const first = 1 + ((n * 7 + i) % 30);
        try {
          const answer = await post<{ parseJobs: { edges: unknown[] } }>(
            cluster.url,
            `{ parseJobs(first: ${first}) { edges { node { id } } } }`,
          );
          if (answer.status !== 200 || answer.errors !== undefined) {
            failures.push(`${answer.status} ${JSON.stringify(answer.errors)}`);
          } else if (answer.data?.parseJobs.edges.length !== first) {
            failures.push(`${first} asked, ${answer.data?.parseJobs.edges.length} answered`);
          } else answered++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    const served = async (more: number) => {
      const target = answered + more;
      await waitFor(() => answered >= target || failures.length > 0, `${more} more answers`);
    };
    await served(40);

    await redis.kill();
    await waitFor(
      () => replicas.every((replica) => replica.log().includes("redis unavailable")),
      "both replicas to notice",
    );
    await served(80);
    for (const replica of replicas) {
      // Still ready: the upstream is what readiness is about; the body says Redis is away.
      expect(await replica.readiness()).toEqual({
        status: 200,
        body: { status: "ready", redis: "unavailable" },
      });
      expect(await replica.metric("redis_available")).toBe(0);
      expect(
        await replica.metric("redis_fallbacks_total", { feature: "response-cache" }),
      ).toBeGreaterThan(0);
    }
    // Each replica polls for its own subscribers meanwhile: changes still reach both.
    move(demo, mine, "RUNNING");
    move(demo, theirs, "RUNNING");
    expect(stateOf(await (watchers[0] as SseSubscription<Update>).take())).toBe(`${mine} RUNNING`);
    expect(stateOf(await (watchers[1] as SseSubscription<Update>).take())).toBe(
      `${theirs} RUNNING`,
    );

    await redis.restart();
    await eventually(
      async () =>
        (await Promise.all(replicas.map((replica) => replica.metric("redis_available")))).every(
          (available) => available === 1,
        ),
      "both replicas to reach Redis again",
    );
    await served(40);
    sending = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    for (const replica of replicas) {
      // Said once each way (the first "available" was at start), no restart needed.
      const lines = replica.log().split("\n");
      expect(lines.filter((line) => line.includes("redis unavailable"))).toHaveLength(1);
      expect(lines.filter((line) => line.includes("redis available"))).toHaveLength(2);
      expect((await replica.readiness()).body).toEqual({ status: "ready", redis: "available" });
    }

    // Sharing again: a page cached by one replica costs no call on the other…
    demo.reset();
    const query = "{ parseJobs(first: 41) { edges { node { id } } } }";
    const first = await post(cluster.url, query);
    const firstReplica = lastTarget(cluster);
    const again = await post(cluster.url, query);
    expect(lastTarget(cluster)).not.toBe(firstReplica);
    expect(again.data).toEqual(first.data);
    expect(demo.listCalls()).toBe(1);
    // …and one replica polls again, for the jobs watched on both, once each replica's beat has
    // found Redis (its subscribing connection comes back on a schedule of its own).
    await eventually(
      async () => (await tickCallsOver(demo, replicas, 2)).filter((n) => n > 0).length === 1,
      "one replica to poll for both again",
    );
    const last = callsOf(demo, "live-tick-").at(-1);
    expect(new Set(last?.query.getAll("job_ids"))).toEqual(new Set([mine, theirs]));
    move(demo, mine, "COMPLETED");
    move(demo, theirs, "COMPLETED");
    for (const watcher of watchers) {
      expect(stateOf(await watcher.take())).toMatch(/ COMPLETED$/);
      expect(await watcher.take()).toBeNull();
    }
  });

  // Last: it leaves one replica running.
  it("hands polling to the other replica when the polling one is killed", async () => {
    const jobs = demoJobs("handover", 60);
    demo.addJobs(jobs);
    const ids = idsOf(jobs);
    const watchers = await subscribeSplit(cluster, ids, 20);

    // Which replica polls: the one whose tick calls move.
    const callsBefore = callsOf(demo, "live-tick-").length;
    const replicaCallsBefore = await tickCalls(replicas);
    await waitForTickCalls(demo, callsBefore, 2);
    const replicaCallsAfter = await tickCalls(replicas);
    const polling = replicaCallsAfter.findIndex(
      (after, index) => after > (replicaCallsBefore[index] ?? 0),
    );
    expect(polling).toBeGreaterThanOrEqual(0);
    const survivor = replicas[1 - polling] as Replica;
    const survivorsWatchers = watchers.filter((watcher) => watcher.replica === 1 - polling);
    const survivorsIds = survivorsWatchers.flatMap((watcher) => watcher.ids);

    const beats = (role: string) => survivor.metric("live_lease_beats_total", { role });
    await (replicas[polling] as Replica).kill();
    // Counted from the moment the holder is gone: the survivor's own beats (one per interval
    // while it follows, each a claim of the lease) until it holds the lease.
    const followingAtKill = await beats("follower");
    const holdingAtKill = await beats("holder");
    // The dead replica's subscribers lose their streams (their clients would reconnect)…
    for (const watcher of watchers.filter((w) => w.replica === polling)) {
      await watcher.subscription.ended;
    }
    // …and the survivor takes the lease over within two of its ticks (the lease lasts two
    // intervals past its last renewal), and polls.
    await eventually(async () => (await beats("holder")) > holdingAtKill, "the survivor to hold");
    expect((await beats("follower")) - followingAtKill).toBeLessThanOrEqual(2);
    expect(await survivor.metric("live_leases_held")).toBe(1);
    const survivorCallsAtTakeover = await survivor.metric("live_poll_calls_total", {
      reason: "tick",
    });
    await waitForTickCalls(demo, callsOf(demo, "live-tick-").length, 1);
    expect(await survivor.metric("live_poll_calls_total", { reason: "tick" })).toBeGreaterThan(
      survivorCallsAtTakeover,
    );
    // Its subscribers never noticed: a change reaches them.
    const [watcher] = survivorsWatchers as [Watcher];
    const id = watcher.ids[0] as string;
    move(demo, id, "RUNNING");
    expect(stateOf(await watcher.subscription.take())).toBe(`${id} RUNNING`);
    // The dead replica's ids fade out of the poll: it asks for the survivor's alone.
    await waitFor(() => {
      const last = callsOf(demo, "live-tick-").at(-1);
      const asked = new Set(last?.query.getAll("job_ids"));
      return asked.size === survivorsIds.length && survivorsIds.every((i) => asked.has(i));
    }, "the dead replica's ids to leave the poll");
  });
});

describe("RATE_LIMIT_PER_MINUTE=20 on two replicas with one Redis", { timeout: TEST_MS }, () => {
  let redis: TestRedis;
  let demo: DemoUpstream;
  let cluster: Cluster;

  beforeAll(async () => {
    [redis, demo] = await Promise.all([startRedis(), startDemoUpstream()]);
    cluster = await startCluster(demo, redis, { RATE_LIMIT_PER_MINUTE: "20" });
    running = cluster.replicas;
  }, START_MS);

  afterAll(async () => {
    // Each on its own: one that fails must not leave the others running.
    await Promise.allSettled([cluster?.close(), demo?.close(), redis?.close()]);
  });

  it("admits 20 requests a minute from one client across both replicas, then both refuse", async () => {
    const answers: Array<Answer<unknown> & { replica: number }> = [];
    for (let index = 0; index < 30; index++) {
      const answer = await post(cluster.url, "{ parseJobs(first: 1) { edges { node { id } } } }");
      answers.push({ ...answer, replica: lastTarget(cluster) });
    }
    // Counted per replica, each would have admitted 20: 30 in all.
    expect(answers.slice(0, 20).map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const refused = answers.slice(20);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["RATE_LIMITED"]);
    }
    expect(new Set(answers.slice(0, 20).map((answer) => answer.replica))).toEqual(new Set([0, 1]));
    expect(new Set(refused.map((answer) => answer.replica))).toEqual(new Set([0, 1]));
    // A refused request costs no upstream call.
    expect(demo.listCalls()).toBe(20);
  });
});

describe("a webhook to one replica, with the poll once an hour", { timeout: TEST_MS }, () => {
  let redis: TestRedis;
  let demo: DemoUpstream;
  let cluster: Cluster;

  beforeAll(async () => {
    [redis, demo] = await Promise.all([startRedis(), startDemoUpstream()]);
    cluster = await startCluster(demo, redis, {
      STATUS_POLL_MS: "3600000",
      LLAMA_CLOUD_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    running = cluster.replicas;
  }, START_MS);

  afterAll(async () => {
    // Each on its own: one that fails must not leave the others running.
    await Promise.allSettled([cluster?.close(), demo?.close(), redis?.close()]);
  });

  it("reaches a subscriber on the other replica", async () => {
    const [receiver, watching] = cluster.replicas as [Replica, Replica];
    const jobs = demoJobs("hooked", 1);
    demo.addJobs(jobs);
    const [id] = idsOf(jobs) as [string];
    const subscription = await watch(watching.graphqlUrl, [id]);
    expect(stateOf(await subscription.take())).toBe(`${id} PENDING`);
    expect(await receiver.metric("live_subscriptions")).toBe(0);

    move(demo, id, "RUNNING");
    const answer = await deliver(new URL("/webhooks/llamacloud", receiver.base), event(id));
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.text)).toEqual({ nudged: [id] });
    expect(stateOf(await subscription.take())).toBe(`${id} RUNNING`);
    // No tick runs within the hour: the change came from the nudge, a `live-nudge-…` read.
    expect(callsOf(demo, "live-tick-")).toEqual([]);
    expect(callsOf(demo, "live-nudge-").map((call) => call.query.getAll("job_ids"))).toEqual([
      [id],
    ]);
  });
});
