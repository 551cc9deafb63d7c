/**
 * Replicas of one deployment, in process: two gateways on one demo upstream and one real Redis
 * (`startRedis`), each with its own runtime, metrics and log, as two `npm start` processes would
 * have.
 */
import type { Config } from "../../src/config.js";
import { loadConfig } from "../../src/config.js";
import type { DemoUpstreamOptions } from "../../src/demo-upstream/server.js";
import type { SharedFeature, SharedRedis } from "../../src/shared/index.js";
import { capturingLogger } from "./log-lines.js";
import type { TestRedis } from "./redis.js";
import { type Stack, startStack } from "./stack.js";

export interface Replica extends Stack {
  /** The replica's log, one JSON line per record (info and above). */
  lines: string[];
  /** Its shared Redis (REDIS_URL is set). */
  shared: SharedRedis;
}

export interface ReplicaOptions {
  demo?: DemoUpstreamOptions;
  config?: Partial<Config>;
  /** `REDIS_PREFIX`: each test file its own, so nothing it finds in Redis is another's. */
  prefix: string;
}

/** Starts two replicas and waits until both have Redis. */
export async function startReplicas(
  redis: TestRedis,
  options: ReplicaOptions,
): Promise<[Replica, Replica]> {
  const config: Partial<Config> = {
    ...options.config,
    shared: { ...loadConfig({}).shared, redisUrl: redis.url, redisPrefix: options.prefix },
  };
  const first = await replica({ demo: options.demo, config });
  const second = await replica({ upstream: first.demo, config });
  await Promise.all([availability(first, true), availability(second, true)]);
  return [first, second];
}

async function replica(options: Parameters<typeof startStack>[0]): Promise<Replica> {
  const { logger, lines } = capturingLogger("info");
  const stack = await startStack({ ...options, logger });
  const shared = stack.runtime.shared;
  if (shared === undefined) throw new Error("REDIS_URL was set");
  return Object.assign(stack, { lines, shared });
}

/** Resolves when the replica's Redis is `wanted` (it reconnects by itself, every 2 s at most). */
export function availability(replica: Replica, wanted: boolean): Promise<void> {
  if (replica.shared.available === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = replica.shared.onAvailability((available) => {
      if (available !== wanted) return;
      stop();
      resolve();
    });
  });
}

/** `redis_fallbacks_total{feature}` of a replica (0 before the first). */
export async function fallbacks(replica: Replica, feature: SharedFeature): Promise<number> {
  const exposition = await replica.runtime.metrics.registry.metrics();
  const line = exposition
    .split("\n")
    .find((entry) => entry.startsWith(`redis_fallbacks_total{feature="${feature}"} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

/** The log lines saying Redis went away. */
export function unavailableLines(replica: Replica): string[] {
  return replica.lines.filter((line) => line.includes("redis unavailable"));
}

/** `GET /readiness`: its status and body. */
export async function readiness(
  replica: Replica,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(replica.gatewayUrl.replace(/\/graphql$/, "/readiness"));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
