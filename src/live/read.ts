import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Lister, ListerScope } from "../lister.js";
import { createJobLoader } from "../loaders/job-loader.js";
import { traceStatusRead } from "../tracing/index.js";
import { CallBudget } from "../upstream/call-budget.js";
import { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";

/** Why a poller reads: its tick, new subscribers' first states, or a webhook's nudge. */
export type ReadReason = "tick" | "subscribe" | "nudge";

/** What one read of a poller is made with: the caller's credential and projects, and bounds. */
export interface ReadOptions {
  /** Makes the lister of one read, its calls bound to `scope` (credential and projects fixed). */
  listerFor: (scopeOf: () => ListerScope) => Lister;
  /** The caller's projects, for per-project lookups as the request loader makes them. */
  projects: readonly string[] | undefined;
  lookupBatchSize: number;
  /** Per read: its deadline (`REQUEST_TIMEOUT_MS`) and call budget (`MAX_UPSTREAM_CALLS`). */
  requestTimeoutMs: number;
  maxUpstreamCalls: number;
  onCall: (reason: ReadReason) => void;
}

/** One read's outcome: per id, in order, the job, null (none), or the Error of its call. */
export interface ReadResult {
  requestId: string;
  /** When the read started (`performance.now()`): how fresh its states are. */
  readAt: number;
  results: Array<ParseJobRecord | null | Error>;
}

/**
 * Reads `ids` once, as a request's lookups would: a fresh job loader (nothing cached between
 * reads) over the caller's lister, so the batching (LOOKUP_BATCH_SIZE), the paging, the
 * per-project calls of a scoped caller and the withholding of other projects' jobs are the
 * request path's own. Each read is a request of its own to the upstream client: its own
 * `x-request-id` (`live-<reason>-<uuid>`, which also lets the logs tell polls apart), deadline
 * and call budget, and `signal` stops it, retries included, once nobody watches.
 */
export async function readJobs(
  ids: readonly string[],
  reason: ReadReason,
  signal: AbortSignal,
  options: ReadOptions,
): Promise<ReadResult> {
  const readAt = performance.now();
  const requestId = `live-${reason}-${randomUUID()}`;
  const deadline = { at: readAt + options.requestTimeoutMs, ms: options.requestTimeoutMs };
  const budget = new CallBudget(options.maxUpstreamCalls);
  const list = options.listerFor(() => ({ requestId, signal, deadline, budget }));
  const counted: Lister = (request) => {
    options.onCall(reason);
    return list(request);
  };
  const loader = createJobLoader(counted, options.lookupBatchSize, undefined, options.projects);
  // With tracing on, each read is a root span (a trace of its own): reason, ids, calls below it.
  const results = await traceStatusRead(reason, ids.length, requestId, () => loader.loadMany(ids));
  return { requestId, readAt, results: results.map((result) => result ?? null) };
}

/** Upstream refusals that no retry can mend: they end the subscriptions they concern. */
const FATAL = new Set(["UNAUTHENTICATED", "FORBIDDEN", "PAYMENT_REQUIRED"]);

/**
 * Whether a failed read ends the subscriptions of its ids. Only the credential's refusals do.
 * Anything else (5xx, timeouts, 429, a bad answer, even a 4xx about the request) backs off and
 * keeps them open: a failure that might be one id's or one moment's must not end the streams of
 * every other subscriber sharing the call, and the backoff bounds what it costs.
 */
export function isFatal(error: Error): error is GatewayError {
  return error instanceof GatewayError && FATAL.has(error.code);
}

/** Says that a poll failed and backs off; the message is the upstream client's, credential out. */
export function logPollFailure(
  logger: Logger,
  requestId: string,
  failure: Error,
  failures: number,
): void {
  logger.warn({
    msg: "live status poll failed: subscriptions stay open, the poll backs off",
    requestId,
    code: failure instanceof GatewayError ? failure.code : "INTERNAL",
    error: failure.message,
    failures,
  });
}
