import { randomUUID } from "node:crypto";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayMetrics } from "./metrics.js";
import { readinessResponse, type UpstreamReadiness } from "./readiness.js";

/** An id the caller sent (a load balancer's, say) is kept when it is short and plain. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** What the plugin notes about a request on arrival, for its response. */
interface Arrival {
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

/** Paths with their own label; anything else is `other`, so the label set stays bounded. */
const ROUTES = new Set(["/graphql", "/readiness", "/metrics"]);

export interface ObservabilityOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: UpstreamReadiness;
}

/**
 * Request ids, the access log, metrics, `/metrics` and `/readiness`, in one plugin with one hook
 * per phase. Every hook a plugin adds runs on every request, and Yoga chains them through
 * promise helpers: as separate plugins (Yoga's Prometheus and readiness plugins, a logging one)
 * these cost about a sixth of a page query's CPU; together, a few percent (see BENCHMARKS.md).
 */
export function observabilityPlugin({ logger, metrics, readiness }: ObservabilityOptions): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const path = url.pathname;
      const given = request.headers.get("x-request-id");
      arrivals.set(request, {
        id: given !== null && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID(),
        startedAt: performance.now(),
        path,
      });
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
        return readinessResponse(readiness, fetchAPI).then(endResponse);
      }
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? "unknown";
      const name = operation?.name?.value ?? "anonymous";
      const startedAt = performance.now();
      return {
        onExecuteDone({ result }) {
          metrics.recordOperation({
            type,
            name,
            seconds: (performance.now() - startedAt) / 1000,
            hadErrors: "errors" in result && (result.errors?.length ?? 0) > 0,
          });
        },
      };
    },
    onResponse({ request, response }) {
      const arrival = arrivals.get(request);
      // Yoga's /health answers before this plugin's onRequest: no arrival, nothing to log.
      if (arrival === undefined) return;
      response.headers.set("x-request-id", arrival.id);
      const durationMs = performance.now() - arrival.startedAt;
      const route = ROUTES.has(arrival.path) ? arrival.path : "other";
      metrics.recordHttp(route, response.status, durationMs / 1000);
      if (!logger.isLevelEnabled("info")) return;
      logger.info({
        msg: "request",
        requestId: arrival.id,
        method: request.method,
        path: arrival.path,
        status: response.status,
        durationMs: Math.round(durationMs),
      });
    },
  };
}
