import type { YogaLogger } from "graphql-yoga";
import { type Logger, pino } from "pino";
import type { Config } from "../config.js";
import { traceLogFields, withTraceFields } from "../tracing/index.js";
import type { UpstreamAttempt } from "../upstream/client.js";
import { type LineSink, prettyDestination } from "./pretty.js";

/**
 * Structured logs (pino): JSON lines, or pretty lines made from them (`LOG_FORMAT`). Nothing here
 * logs headers, URLs with their query or request bodies, so the credential cannot reach a log
 * line; `withoutCredentials` is a second lock on the door, and the pretty format only reshapes
 * what it let through. (pino's `redact` did the same at about 5 KB of garbage per log line, on
 * every request.) `out` is stdout unless a test hands in its own stream.
 */
export function createLogger(
  { logLevel, logFormat }: Pick<Config, "logLevel" | "logFormat">,
  out: LineSink = stdout(),
): Logger {
  return pino(
    {
      level: logLevel,
      base: { service: "parse-jobs-graphql" },
      formatters: { log: withoutCredentials },
      // `trace_id` and `span_id` on every line written while a span is active (src/tracing/).
      mixin: traceLogFields,
      mixinMergeStrategy: withTraceFields,
    },
    logFormat === "pretty" ? prettyDestination(out) : out,
  );
}

function stdout(): LineSink {
  // Asynchronous writes: lines logged while a write is under way go out together in the next
  // one, instead of one blocking write(2) per request (about a tenth of a page query's CPU
  // with the access log on, see BENCHMARKS.md). pino flushes what is left when the process
  // exits, pretty format included: the exit hook is on this stream, not on the logger.
  return pino.destination({ dest: 1, sync: false });
}

/** Keys never written, at the top of a log record or one level down. */
const CREDENTIAL_KEYS = ["authorization", "headers"];

/** The record without credential-bearing keys; the same object when it has none (the usual case). */
export function withoutCredentials(record: Record<string, unknown>): Record<string, unknown> {
  let cleaned: Record<string, unknown> | undefined;
  for (const key in record) {
    const value = record[key];
    if (CREDENTIAL_KEYS.includes(key)) {
      cleaned ??= { ...record };
      delete cleaned[key];
    } else if (isPlainObject(value) && CREDENTIAL_KEYS.some((inner) => inner in value)) {
      const inner = { ...value };
      for (const credential of CREDENTIAL_KEYS) delete inner[credential];
      cleaned ??= { ...record };
      cleaned[key] = inner;
    }
  }
  return cleaned ?? record;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
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
    // Only failures without a status carry these: the line then says what failed, and where.
    ...(attempt.cause === undefined ? {} : { cause: attempt.cause, upstreamHost: attempt.host }),
  });
}
