import { randomUUID } from "node:crypto";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { SharedRedis } from "../shared/index.js";
import { ANONYMOUS_OPERATION, type GatewayMetrics } from "./metrics.js";
import { readinessResponse, type UpstreamReadiness } from "./readiness.js";

/** An id the caller sent (a load balancer's, say) is kept when it is short and plain. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** What is noted about a request on arrival, for its response. */
export interface Arrival {
  id: string;
  startedAt: number;
  path: string;
}

/** Every request in flight, noted on arrival; read by the context factory and on response. */
const arrivals = new WeakMap<Request, Arrival>();

/** The id of a request: the one given on arrival, or a fresh one. */
export function requestIdOf(request: Request): string {
  return arrivals.get(request)?.id ?? randomUUID();
}

/** Notes a request's arrival: its id (the caller's `x-request-id` when acceptable) and start. */
export function noteArrival(request: Request, path: string): Arrival {
  const given = request.headers.get("x-request-id");
  const arrival = {
    id: given !== null && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID(),
    startedAt: performance.now(),
    path,
  };
  arrivals.set(request, arrival);
  return arrival;
}

/** Paths with their own label; anything else is `other`, so the label set stays bounded. */
const ROUTES = new Set(["/graphql", "/readiness", "/metrics", "/webhooks/llamacloud"]);

export interface ObservabilityOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: UpstreamReadiness;
  /** The shared Redis (`REDIS_URL`), whose availability `/readiness` reports; undefined: unset. */
  shared?: Pick<SharedRedis, "available">;
}

/**
 * Request ids, the access log, metrics, `/metrics` and `/readiness`, in one plugin with one hook
 * per phase. Every hook a plugin adds runs on every request, and Yoga chains them through
 * promise helpers: as separate plugins (Yoga's Prometheus and readiness plugins, a logging one)
 * these cost about a sixth of a page query's CPU; together, a few percent (see BENCHMARKS.md).
 */
export function observabilityPlugin({
  logger,
  metrics,
  readiness,
  shared,
}: ObservabilityOptions): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const path = url.pathname;
      noteArrival(request, path);
      if (path === "/metrics") {
        return metrics.registry.metrics().then((text) =>
          endResponse(
            new fetchAPI.Response(text, {
              headers: { "content-type": metrics.registry.contentType },
            }),
          ),
        );
      }
      if (path === "/readiness") {
        return readinessResponse(readiness, fetchAPI, shared).then(endResponse);
      }
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? "unknown";
      const name = operation?.name?.value ?? ANONYMOUS_OPERATION;
      const startedAt = performance.now();
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result ? (result.errors ?? []) : [];
          metrics.recordOperation({
            type,
            name,
            seconds: (performance.now() - startedAt) / 1000,
            hadErrors: errors.length > 0,
            // A field's error has a path; one without refused the whole operation (a limit,
            // bad variables), and such an operation must not earn its name a label.
            clean: errors.every((error) => error.path !== undefined),
          });
        },
      };
    },
    onResponse({ request, response }) {
      const arrival = arrivals.get(request);
      // Yoga's /health answers before this plugin's onRequest: no arrival, nothing to log.
      if (arrival === undefined) return;
      response.headers.set("x-request-id", arrival.id);
      noteDeparture({ logger, metrics }, arrival, request.method, response.status);
    },
  };
}

/** Records a response to an arrival: the HTTP metrics and the access-log line. */
export function noteDeparture(
  { logger, metrics }: Pick<ObservabilityOptions, "logger" | "metrics">,
  arrival: Arrival,
  method: string,
  status: number,
): void {
  const durationMs = performance.now() - arrival.startedAt;
  const route = ROUTES.has(arrival.path) ? arrival.path : "other";
  metrics.recordHttp(route, status, durationMs / 1000);
  if (!logger.isLevelEnabled("info")) return;
  logger.info({
    msg: "request",
    requestId: arrival.id,
    method,
    path: arrival.path,
    status,
    durationMs: Math.round(durationMs),
  });
}
