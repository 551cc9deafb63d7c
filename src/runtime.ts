import type { Logger } from "pino";
import { type CallerGate, createCallerGate } from "./callers/index.js";
import type { Config } from "./config.js";
import { createLiveStatus, type LiveStatus } from "./live/index.js";
import { createLogger, logUpstreamAttempt } from "./observability/logging.js";
import { createMetrics, type GatewayMetrics } from "./observability/metrics.js";
import { UpstreamReadiness } from "./observability/readiness.js";
import { createSharedRedis, type SharedRedis } from "./shared/index.js";
import { UpstreamClient } from "./upstream/client.js";

/**
 * What lives as long as the process, shared by every transport (HTTP, SSE, WebSocket): the
 * logger, metrics, the upstream's readiness, the upstream client (its shared calls and
 * connections), the caller gate (its JWKS and rate-limit counters) and the live status (its
 * pollers, shared by the subscribers of every transport). `index.ts` keeps it to
 * drain readiness on SIGTERM.
 */
export interface GatewayRuntime {
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: UpstreamReadiness;
  upstream: UpstreamClient;
  /** Undefined when no caller setting is configured (src/callers/). */
  gate: CallerGate | undefined;
  /** The `parseJobUpdates` pollers; `index.ts` closes it on SIGTERM (src/live/). */
  live: LiveStatus;
  /** The Redis replicas share state through, without `REDIS_URL` undefined (src/shared/). */
  shared: SharedRedis | undefined;
}

/**
 * The runtime for a configuration. Throws a ConfigError for a file the configuration names and
 * that cannot be read (a trusted-document manifest).
 */
export function createRuntime(
  config: Config,
  logger: Logger = createLogger(config),
): GatewayRuntime {
  const metrics = createMetrics();
  const shared = createSharedRedis(config.shared, logger, metrics);
  const readiness = new UpstreamReadiness(config.baseUrl, config.apiKey, config.readinessCacheMs);
  const upstream = new UpstreamClient({
    ...config,
    maxResponseBytes: config.maxUpstreamResponseBytes,
    deduplicate: config.deduplicateUpstream,
    onDeduplicated: () => metrics.recordDeduplicated(),
    observer: (attempt) => {
      metrics.recordUpstream(attempt);
      readiness.record(attempt);
      logUpstreamAttempt(logger, attempt);
    },
  });
  const gate = createCallerGate(
    config.callers,
    config.subgraphToken,
    logger,
    (code) => metrics.recordCallerRefusal(code),
    shared,
  );
  const live = createLiveStatus({ config, upstream, metrics, logger, shared });
  return { logger, metrics, readiness, upstream, gate, live, shared };
}
