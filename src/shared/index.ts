/**
 * Shared state across replicas (`REDIS_URL`): one Redis for the response cache, the rate-limit
 * counters, the cluster's one status poll per caller and webhooks that reach every replica. Each
 * of those features takes the `SharedRedis` from the runtime and keeps an in-process fallback
 * for when Redis is unset or away (`orLocal`).
 */

import type { Logger } from "pino";
import { Counter, Gauge } from "prom-client";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { SharedConfig } from "./config.js";
import { SharedRedis } from "./redis.js";

export type { SharedFeature } from "./redis.js";
export { SharedRedis } from "./redis.js";

/** The shared Redis, or undefined without `REDIS_URL` (everything stays in process). */
export function createSharedRedis(
  config: SharedConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): SharedRedis | undefined {
  const { redisUrl } = config;
  if (redisUrl === undefined) return undefined;
  const fallbacks = new Counter({
    name: "redis_fallbacks_total",
    help: "Operations that used the in-process fallback because Redis was unavailable or failed, by feature",
    labelNames: ["feature"],
    registers: [metrics.registry],
  });
  const redis = new SharedRedis({ ...config, redisUrl }, logger, (feature) =>
    fallbacks.inc({ feature }),
  );
  new Gauge({
    name: "redis_available",
    help: "1 while the shared Redis answers, 0 while replicas fall back to their own state",
    registers: [metrics.registry],
    collect() {
      this.set(redis.available ? 1 : 0);
    },
  });
  return redis;
}
