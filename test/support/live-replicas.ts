/**
 * Replicas of the gateway for the cross-replica live status tests (test/shared-live*.test.ts):
 * several stacks in one process on one demo upstream (which logs every call, whoever made it)
 * and one real Redis, told apart only by what Redis and their metrics say.
 */
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config.js";
import { type DemoUpstream, startDemoUpstream } from "../../src/demo-upstream/server.js";
import type { LiveConfig } from "../../src/live/config.js";
import { counter, LIVE } from "./live.js";
import type { TestRedis } from "./redis.js";
import { type Stack, startStack } from "./stack.js";

export interface Replicas {
  demo: DemoUpstream;
  stacks: Stack[];
  /** Stops one replica as SIGTERM would (its subscriptions complete; it leaves Redis tidy). */
  stop(stack: Stack): Promise<void>;
  /** Stops every replica still running, and the demo upstream. */
  close(): Promise<void>;
}

let deployments = 0;

/**
 * `count` gateways on one demo upstream sharing `redis`, under a `REDIS_PREFIX` of their own: a
 * lease left behind by one test's crashed replica is no other test's business.
 */
export async function startReplicas(
  redis: TestRedis,
  { count = 2, live = {} }: { count?: number; live?: Partial<LiveConfig> } = {},
): Promise<Replicas> {
  const demo = await startDemoUpstream();
  deployments++;
  const shared = {
    ...loadConfig({}).shared,
    redisUrl: redis.url,
    redisPrefix: `live-test-${deployments}:`,
  };
  const stacks: Stack[] = [];
  for (let index = 0; index < count; index++) {
    const config = { live: { ...LIVE, ...live }, shared };
    stacks.push(await startStack({ upstream: demo, config }));
  }
  await waitUntil(
    async () => stacks.every((stack) => stack.runtime.shared?.available === true),
    "every replica connected to Redis",
  );
  const stopped = new Set<Stack>();
  const stop = async (stack: Stack) => {
    if (stopped.has(stack)) return;
    stopped.add(stack);
    await stack.close();
  };
  return {
    demo,
    stacks,
    stop,
    async close() {
      for (const stack of stacks) await stop(stack);
      await demo.close();
    },
  };
}

/** Waits (polling every 20 ms, 20 s at most) until `predicate` holds. */
export async function waitUntil(
  predicate: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Scopes whose lease `stack` holds now. */
export const leases = (stack: Stack) => counter(stack, "live_leases_held");

/** How many of `stack`'s beats ended in `role`. */
export const beats = (stack: Stack, role: "holder" | "follower" | "local") =>
  counter(stack, "live_lease_beats_total", { role });

/** How many status-poll ticks `stack` made (only a holder or a replica polling alone ticks). */
export const ticks = (stack: Stack) => counter(stack, "live_poll_ticks_total");

/**
 * Waits until one of `stacks` holds the (one) scope's lease and every other has since beaten as
 * a follower, so none of them polls any more; answers the holder and the others.
 */
export async function holderOf(stacks: readonly Stack[]): Promise<[Stack, Stack[]]> {
  const since = await Promise.all(stacks.map((stack) => beats(stack, "follower")));
  let holder: Stack | undefined;
  await waitUntil(async () => {
    const held = await Promise.all(stacks.map(leases));
    const following = await Promise.all(stacks.map((stack) => beats(stack, "follower")));
    const index = held.indexOf(1);
    if (held.reduce((sum, n) => sum + n, 0) !== 1) return false;
    holder = stacks[index];
    return stacks.every((_, i) => i === index || (following[i] ?? 0) > (since[i] ?? 0));
  }, "one lease holder and followers");
  const found = holder as Stack;
  return [found, stacks.filter((stack) => stack !== found)];
}

/**
 * Stops a replica as a crash would, as far as the others can tell: its Redis connections drop
 * before it can give up its lease or its ids, and it polls no more.
 */
export function crash(stack: Stack): void {
  const shared = stack.runtime.shared;
  if (shared === undefined) throw new Error("not a replica: no REDIS_URL");
  shared.client.disconnect();
  shared.subscriber().disconnect();
  stack.runtime.live.close();
}

/** Every command Redis runs from now on (MONITOR), one line each, to look for secrets in. */
export async function monitorRedis(redis: TestRedis): Promise<{
  lines: string[];
  stop(): void;
}> {
  // Never connected itself: MONITOR runs on a duplicate, which a ready check would confuse.
  const connection = new Redis(redis.url, { lazyConnect: true, enableReadyCheck: false });
  const monitor = await connection.monitor();
  const lines: string[] = [];
  monitor.on("monitor", (_time: string, args: string[]) => lines.push(args.join(" ")));
  return {
    lines,
    stop() {
      monitor.disconnect();
      connection.disconnect();
    },
  };
}
