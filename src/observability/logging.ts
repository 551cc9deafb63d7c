import { randomUUID } from "node:crypto";
import type { Plugin, YogaLogger } from "graphql-yoga";
import { type Logger, pino } from "pino";
import type { LogLevel } from "../config.js";
import type { UpstreamAttempt } from "../upstream/client.js";

/**
 * Structured JSON logs (pino). Nothing here logs headers, URLs with their query or request
 * bodies, so the credential cannot reach a log line; `redact` is a second lock on the door.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: "parse-jobs-graphql" },
    redact: { paths: ["authorization", "*.authorization", "headers", "*.headers"], remove: true },
  });
}

/** Yoga's own messages (masked errors among them) through pino. */
export function yogaLogger(logger: Logger): YogaLogger {
  const write =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, rest.map(String).join(" "));
      else
        logger[level](
          args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" "),
        );
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** An id the caller sent (a load balancer's, say) is kept when it is short and plain. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request id of each request in flight, set on arrival; read by the context factory. */
const requestIds = new WeakMap<Request, string>();

/** The id of a request: the one the request-id plugin gave it, or a fresh one. */
export function requestIdOf(request: Request): string {
  return requestIds.get(request) ?? randomUUID();
}

/**
 * Gives every request an id (the caller's `x-request-id` when acceptable), echoes it in the
 * response and writes one access-log line per request.
 */
export function requestLogPlugin(logger: Logger): Plugin {
  const startedAt = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      const given = request.headers.get("x-request-id");
      requestIds.set(
        request,
        given !== null && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID(),
      );
      startedAt.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request);
      response.headers.set("x-request-id", requestId);
      if (!logger.isLevelEnabled("info")) return;
      const started = startedAt.get(request);
      logger.info({
        msg: "request",
        requestId,
        method: request.method,
        path: new URL(request.url).pathname,
        status: response.status,
        durationMs: started === undefined ? undefined : Math.round(performance.now() - started),
      });
    },
  };
}

/** Logs one upstream attempt: debug when it answered below 500, warn otherwise. */
export function logUpstreamAttempt(logger: Logger, attempt: UpstreamAttempt): void {
  const failed = typeof attempt.outcome !== "number" || attempt.outcome >= 500;
  const level = failed ? "warn" : "debug";
  if (!logger.isLevelEnabled(level)) return;
  logger[level]({
    msg: "upstream call",
    requestId: attempt.requestId,
    upstreamStatus: attempt.outcome,
    durationMs: Math.round(attempt.durationMs),
    attempt: attempt.attempt,
    willRetry: attempt.willRetry,
  });
}
