import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { UpstreamAttempt } from "../upstream/client.js";
import {
  OPERATION_NAME_LIMITS,
  OperationNameLabels,
  type OperationNameLimits,
} from "./operation-names.js";

/** What one executed GraphQL operation was, for its metrics. */
export interface OperationSample {
  /** `query`, `mutation` or `subscription`. */
  type: string;
  /** The operation's name, or `anonymous`. */
  name: string;
  seconds: number;
  hadErrors: boolean;
  /**
   * It ran without a request-level error (one with no `path`: a limit or bad variables refused
   * it). Only such operations count toward their name getting a label of its own.
   */
  clean: boolean;
}

/** The gateway's Prometheus metrics: one registry per gateway, so several can share a process. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts and times one upstream attempt (the client's observer). */
  recordUpstream(attempt: UpstreamAttempt): void;
  /** Records how many ids one DataLoader batch asked for. */
  recordLoaderBatch(size: number): void;
  /** Counts one upstream call that joined an identical one in flight instead of going out. */
  recordDeduplicated(): void;
  /** Counts one query that took the result of an identical one in flight instead of running. */
  recordSharedOperation(): void;
  /** Counts and times one executed operation. */
  recordOperation(sample: OperationSample): void;
  /** Times one HTTP request, from arrival to response, by route and status. */
  recordHttp(route: string, status: number, seconds: number): void;
  /** Counts one GraphQL request refused before parsing (src/callers/), by its error code. */
  recordCallerRefusal(code: string): void;
  /** Counts one request to `POST /webhooks/llamacloud` (src/live/webhooks.ts), by what it got. */
  recordWebhook(result: WebhookResult): void;
  /** Counts one tick of a live-status poller (src/live/): a re-read of every id it watches. */
  recordLivePollTick(): void;
  /** Counts one upstream call of a live-status poller, by why it read (tick, subscribe, nudge). */
  recordLivePollCall(reason: string): void;
  /** Where the open-subscription and watched-id gauges read their values when scraped. */
  trackLiveStatus(stats: () => LiveStatusSample): void;
}

/** The live status's sizes at one moment (src/live/index.ts `stats()`). */
export interface LiveStatusSample {
  subscriptions: number;
  pollers: number;
  watchedIds: number;
}

/**
 * `accepted`: signed and naming a job (nudged); `ignored`: signed, but naming no job;
 * `refused`: bad or missing signature, or an unreadable or oversized body.
 */
export type WebhookResult = "accepted" | "ignored" | "refused";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The label of operations without a name; always its own, as there is only one. */
export const ANONYMOUS_OPERATION = "anonymous";

/** The operation types, as labelled: what a dropped name's series are removed under. */
const OPERATION_TYPES = ["query", "mutation", "subscription", "unknown"];

/**
 * Creates the registry and every metric. Label sets seen before are kept as prom-client
 * children, so recording one costs no label hashing: these run on every request.
 * `nameLimits` and `now` bound operation-name labels (src/observability/operation-names.ts).
 */
export function createMetrics(
  nameLimits: OperationNameLimits = OPERATION_NAME_LIMITS,
  now: () => number = () => Date.now(),
): GatewayMetrics {
  const registry = new Registry();
  // Node's own process metrics (memory, CPU, event-loop lag, GC) beside the gateway's: a slow
  // gateway is often a busy event loop or a GC storm, which the gateway's metrics cannot show.
  collectDefaultMetrics({ register: registry });
  const upstreamCalls = new Counter({
    name: "upstream_requests_total",
    help: "HTTP attempts to LlamaCloud, by status code (or timeout / connection when none came)",
    labelNames: ["status"],
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: "upstream_request_duration_seconds",
    help: "Duration of one HTTP attempt to LlamaCloud, by status code",
    labelNames: ["status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: "upstream_retries_total",
    help: "Attempts to LlamaCloud that were retries of a failed one",
    registers: [registry],
  });
  const deduplicated = new Counter({
    name: "upstream_deduplicated_total",
    help: "Upstream calls that joined an identical call in flight instead of going out",
    registers: [registry],
  });
  const callerRefusals = new Counter({
    name: "graphql_requests_refused_total",
    help: "GraphQL requests refused before parsing: bad token, other project, rate limit, untrusted document; by code",
    labelNames: ["code"],
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: "webhook_events_total",
    help: "Requests to POST /webhooks/llamacloud: accepted (nudged), ignored (no job id), refused",
    labelNames: ["result"],
    registers: [registry],
  });
  const sharedOperations = new Counter({
    name: "graphql_operations_shared_total",
    help: "Queries answered with the result of an identical query in flight instead of running",
    registers: [registry],
  });
  const batches = new Histogram({
    name: "loader_batch_size",
    help: "Ids asked for by one batched lookup (parseJob, node, nodes, _entities)",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [registry],
  });
  const operations = new Counter({
    name: "graphql_operations_total",
    help: "GraphQL operations executed, by type and name",
    labelNames: ["operation_type", "operation_name"],
    registers: [registry],
  });
  const operationErrors = new Counter({
    name: "graphql_operation_errors_total",
    help: "GraphQL operations whose result carried errors, by type and name",
    labelNames: ["operation_type", "operation_name"],
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "Execution time of one GraphQL operation (upstream calls included), by type and name",
    labelNames: ["operation_type", "operation_name"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from a request's arrival to its response, by route and status code",
    labelNames: ["route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  // Read from the live status when scraped, so they can never drift from what it holds.
  let liveStats: () => LiveStatusSample = () => ({ subscriptions: 0, pollers: 0, watchedIds: 0 });
  new Gauge({
    name: "live_subscriptions",
    help: "Open parseJobUpdates subscriptions, over every transport",
    registers: [registry],
    collect() {
      this.set(liveStats().subscriptions);
    },
  });
  new Gauge({
    name: "live_watched_jobs",
    help: "Job ids the live-status pollers re-read each tick (distinct per credential scope)",
    registers: [registry],
    collect() {
      this.set(liveStats().watchedIds);
    },
  });
  const pollTicks = new Counter({
    name: "live_poll_ticks_total",
    help: "Ticks of the live-status pollers: each re-reads every unfinished job its subscribers watch",
    registers: [registry],
  });
  const pollCalls = new Counter({
    name: "live_poll_calls_total",
    help: "Upstream calls of the live-status pollers, by reason: tick, subscribe (first states), nudge (webhook)",
    labelNames: ["reason"],
    registers: [registry],
  });

  // Label children by label values; the key only identifies them, the labels are passed as they are.
  const operationChildren = new Map<string, OperationChildren>();
  // Operation names come from clients: only names that keep recurring get a label of their own,
  // and a name that stops being used gives it up, series and all (see operation-names.ts).
  const names = new OperationNameLabels(
    nameLimits,
    (name) => {
      for (const type of OPERATION_TYPES) {
        const labels = { operation_type: type, operation_name: name };
        operations.remove(labels);
        operationErrors.remove(labels);
        operationDuration.remove(labels);
        operationChildren.delete(`${type} ${name}`);
      }
    },
    now,
  );
  const httpChildren = new Map<string, ReturnType<typeof httpDuration.labels>>();
  const upstreamChildren = new Map<string, UpstreamChildren>();
  const byUpstream = (status: string) =>
    cached(upstreamChildren, status, () => ({
      count: upstreamCalls.labels({ status }),
      duration: upstreamDuration.labels({ status }),
    }));

  return {
    registry,
    recordUpstream(attempt) {
      const upstream = byUpstream(String(attempt.outcome));
      upstream.count.inc();
      upstream.duration.observe(attempt.durationMs / 1000);
      if (attempt.attempt > 0) retries.inc();
    },
    recordLoaderBatch(size) {
      batches.observe(size);
    },
    recordDeduplicated() {
      deduplicated.inc();
    },
    recordSharedOperation() {
      sharedOperations.inc();
    },
    recordOperation({ type, name, seconds, hadErrors, clean }) {
      const label = name === ANONYMOUS_OPERATION ? name : names.labelFor(name, clean);
      const labels = { operation_type: type, operation_name: label };
      const operation = cached(operationChildren, `${type} ${labels.operation_name}`, () => ({
        count: operations.labels(labels),
        errors: operationErrors.labels(labels),
        duration: operationDuration.labels(labels),
      }));
      operation.count.inc();
      operation.duration.observe(seconds);
      if (hadErrors) operation.errors.inc();
    },
    recordCallerRefusal(code) {
      callerRefusals.inc({ code });
    },
    recordLivePollTick() {
      pollTicks.inc();
    },
    recordLivePollCall(reason) {
      pollCalls.inc({ reason });
    },
    trackLiveStatus(stats) {
      liveStats = stats;
    },
    recordWebhook(result) {
      webhookEvents.inc({ result });
    },
    recordHttp(route, status, seconds) {
      const labels = { route, status: String(status) };
      cached(httpChildren, `${route} ${status}`, () => httpDuration.labels(labels)).observe(
        seconds,
      );
    },
  };
}

interface OperationChildren {
  count: ReturnType<Counter["labels"]>;
  errors: ReturnType<Counter["labels"]>;
  duration: ReturnType<Histogram["labels"]>;
}

interface UpstreamChildren {
  count: ReturnType<Counter["labels"]>;
  duration: ReturnType<Histogram["labels"]>;
}

/** The value kept under `key`, made on first use; callers keep the number of keys bounded. */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
