import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { Plugin } from "graphql-yoga";
import { Counter, Histogram, Registry } from "prom-client";
import type { UpstreamAttempt } from "../upstream/client.js";

/** The gateway's Prometheus metrics: one registry per gateway, so several can share a process. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts and times one upstream attempt (the client's observer). */
  recordUpstream(attempt: UpstreamAttempt): void;
  /** Records how many ids one DataLoader batch asked for. */
  recordLoaderBatch(size: number): void;
  /** Yoga's Prometheus plugin (GraphQL operation metrics) serving everything on /metrics. */
  plugin(): Plugin;
}

/** Creates the registry and the upstream metrics; the GraphQL ones come with `plugin()`. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const calls = new Counter({
    name: "upstream_requests_total",
    help: "HTTP attempts to LlamaCloud, by status code (or timeout / connection when none came)",
    labelNames: ["status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "upstream_request_duration_seconds",
    help: "Duration of one HTTP attempt to LlamaCloud, by status code",
    labelNames: ["status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const retries = new Counter({
    name: "upstream_retries_total",
    help: "Attempts to LlamaCloud that were retries of a failed one",
    registers: [registry],
  });
  const batches = new Histogram({
    name: "loader_batch_size",
    help: "Ids asked for by one batched lookup (parseJob, node, nodes, _entities)",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [registry],
  });
  return {
    registry,
    recordUpstream(attempt) {
      const status = String(attempt.outcome);
      calls.inc({ status });
      duration.observe({ status }, attempt.durationMs / 1000);
      if (attempt.attempt > 0) retries.inc();
    },
    recordLoaderBatch(size) {
      batches.observe(size);
    },
    plugin() {
      return usePrometheus({
        registry,
        endpoint: "/metrics",
        // Operation counts, durations and errors; the per-phase histograms are left off to keep
        // the per-request cost low.
        metrics: {
          graphql_envelop_request: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
          graphql_yoga_http_duration: true,
          graphql_envelop_request_time_summary: false,
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_execute: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_deprecated_field: false,
          graphql_envelop_schema_change: false,
        },
      });
    },
  };
}
