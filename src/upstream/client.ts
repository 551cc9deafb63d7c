import type { Freshness } from "../freshness.js";
import { upstreamAttemptSpan } from "../tracing/index.js";
import { budgetExhausted, type CallBudget } from "./call-budget.js";
import type { GatewayError } from "./errors.js";
import { answerFailure, type Failure, requestTimeout, transportFailure } from "./failures.js";
import { httpGet, TransportError } from "./http.js";
import { type ListPage, parseListPage } from "./list-response.js";
import { type Redactor, redactorFor } from "./redact.js";
import { backoffMs, sleep } from "./retry.js";
import { SharedCalls } from "./shared-calls.js";

/** REST query params as ordered pairs; `job_ids` repeats, so a plain object cannot hold them. */
export type RestParams = ReadonlyArray<readonly [name: string, value: string]>;

/** One call of `GET /api/v2/parse`. */
export interface ListRequest {
  /** The filter, already in REST names; re-sent unchanged with every page token. */
  filter: RestParams;
  pageSize: number;
  pageToken: string | null;
}

/** What a GraphQL request brings to each of its upstream calls, and what bounds them. */
export interface CallScope {
  /** The `Authorization` value: it goes nowhere but the request header. */
  authorization: string;
  /** Sent as `x-request-id`, so the upstream's logs and ours can be joined. */
  requestId?: string;
  /** Aborts once nobody waits for the call (src/request-interest.ts). */
  signal?: AbortSignal;
  /** When the request must be answered (`performance.now()` time), and its length for messages. */
  deadline?: { at: number; ms: number };
  /** The request's upstream attempts left (`MAX_UPSTREAM_CALLS`), retries included. */
  budget?: CallBudget;
  /** How old a call in flight may be to be joined; told of every read the answer rests on. */
  freshness?: Freshness;
}

/** What one HTTP attempt to the upstream came to, for metrics and logs (never the credential). */
export interface UpstreamAttempt {
  /** The HTTP status, or why there was none. */
  outcome: number | "timeout" | "connection" | "too_large" | "cancelled";
  durationMs: number;
  /** 0 for the first attempt of a call, 1 for the first retry, … */
  attempt: number;
  /** Whether another attempt follows this one. */
  willRetry: boolean;
  requestId: string | undefined;
  /** Why no status came, when one did not: the error code (`ECONNREFUSED`) or the kind. */
  cause?: string;
  /** The upstream host (and port) a failed attempt went to: which one is down, in the log line. */
  host?: string;
}

/** Told about every upstream attempt; must not throw (it runs on the request path). */
export type UpstreamObserver = (attempt: UpstreamAttempt) => void;

export interface UpstreamClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  /** Longest answer read (`MAX_UPSTREAM_RESPONSE_BYTES`); longer is UPSTREAM_BAD_RESPONSE. */
  maxResponseBytes?: number;
  observer?: UpstreamObserver;
  /** Share an identical call (same URL and credential) while it is in flight; default off. */
  deduplicate?: boolean;
  /** Told each time a call joins one in flight instead of going out. */
  onDeduplicated?: () => void;
}

/** Credentials whose redactors are kept at once (see `UpstreamClient.redactorFor`). */
const MAX_KEPT_REDACTORS = 64;

/**
 * The one module that talks HTTP to LlamaCloud's list endpoint: retries, timeouts, the request's
 * deadline and call budget, and the mapping of every failure onto a GatewayError. It holds no
 * per-caller state; the caller's `Authorization` value is passed in on each call and goes nowhere
 * but the request header.
 */
export class UpstreamClient {
  private readonly endpoint: URL;
  private readonly shared = new SharedCalls();
  private readonly redactors = new Map<string, Redactor>();

  constructor(private readonly options: UpstreamClientOptions) {
    this.endpoint = new URL(`${options.baseUrl}/api/v2/parse`);
  }

  /**
   * Fetches one page, retrying transient failures; throws a GatewayError for every failure.
   *
   * When deduplicating, a call identical to one still in flight (same URL, same credential)
   * waits for that one's answer instead of going out: a dashboard opened by many users at once
   * costs the upstream one call, not one per user. Nothing is kept once the call settles, so an
   * answer is never older than the request that received it: it was asked for after that request
   * arrived or, at worst, shortly before. A page is read-only once parsed, so sharing it is safe.
   * The call runs under the deadline and budget of the request that started it, and goes on
   * while any request still waits for it (src/upstream/shared-calls.ts).
   */
  listParseJobs(request: ListRequest, scope: CallScope): Promise<ListPage> {
    const url = new URL(this.endpoint);
    for (const [name, value] of request.filter) url.searchParams.append(name, value);
    url.searchParams.set("page_size", String(request.pageSize));
    if (request.pageToken !== null) url.searchParams.set("page_token", request.pageToken);
    if (!this.options.deduplicate) {
      scope.freshness?.noteRead(performance.now());
      return this.fetchPage(url, scope, scope.signal);
    }
    // The credential is part of the key: callers with different keys never share an answer.
    return this.shared.run(
      `${scope.authorization}\n${url.href}`,
      scope.signal,
      scope.freshness,
      (signal) => this.fetchPage(url, scope, signal),
      this.options.onDeduplicated,
    );
  }

  private async fetchPage(
    url: URL,
    scope: CallScope,
    signal: AbortSignal | undefined,
  ): Promise<ListPage> {
    const { authorization, requestId, budget, deadline } = scope;
    const headers: Record<string, string> = { authorization, accept: "application/json" };
    // Lets the upstream's logs (and ours) be joined on one id.
    if (requestId !== undefined) headers["x-request-id"] = requestId;
    const { maxRetries, timeoutMs, maxResponseBytes } = this.options;
    const deadlineAt = deadline?.at ?? Number.POSITIVE_INFINITY;
    let previous: GatewayError | undefined;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      const timeLeft = deadlineAt - performance.now();
      if (timeLeft <= 0) throw previous ?? requestTimeout(deadline?.ms);
      // Another field of the request may have spent the last call during a backoff.
      if (budget !== undefined && !budget.take()) throw previous ?? budgetExhausted(budget.limit);
      // The request's deadline cuts the attempt short rather than let it run its full timeout.
      const attemptMs = Math.min(timeoutMs, timeLeft);
      const startedAt = performance.now();
      // With tracing on, a CLIENT span per attempt, whose `traceparent` goes out with it alone.
      const span = upstreamAttemptSpan(url, attempt);
      let outcome: UpstreamAttempt["outcome"];
      let failure: Failure;
      let transport: Pick<UpstreamAttempt, "cause" | "host"> | undefined;
      try {
        const answer = await httpGet(url, span?.headers(headers) ?? headers, attemptMs, {
          signal,
          maxBytes: maxResponseBytes,
        });
        outcome = answer.status;
        if (answer.status >= 200 && answer.status < 300) {
          span?.end(outcome, false);
          this.observe(outcome, startedAt, attempt, false, requestId);
          return parseListPage(answer.body, answer.status, this.redactorFor(authorization));
        }
        failure = answerFailure(answer, this.redactorFor(authorization));
      } catch (error) {
        if (signal?.aborted && error === signal.reason) {
          // Nobody waits for this attempt any more: it was aborted, and nothing follows it.
          span?.end("cancelled", false, error);
          this.observe("cancelled", startedAt, attempt, false, requestId);
          throw error;
        }
        if (!(error instanceof TransportError)) {
          span?.end("error", false, error);
          throw error;
        }
        outcome = error.kind;
        transport = { cause: error.code ?? error.kind, host: url.host };
        if (error.kind === "timeout" && attemptMs < timeoutMs) {
          const timedOut = requestTimeout(deadline?.ms);
          span?.end(outcome, false, timedOut);
          this.observe(outcome, startedAt, attempt, false, requestId, transport);
          throw timedOut;
        }
        failure = transportFailure(error, attempt);
      }
      const waitMs = backoffMs(this.options.retryBaseDelayMs, attempt, failure.askedWaitMs);
      const retry =
        failure.retryable &&
        attempt < maxRetries &&
        (budget === undefined || budget.spent < budget.limit) &&
        performance.now() + waitMs < deadlineAt;
      span?.end(outcome, retry, retry ? undefined : failure.error);
      this.observe(outcome, startedAt, attempt, retry, requestId, transport);
      if (!retry) throw failure.error;
      previous = failure.error;
      await sleep(waitMs, signal);
    }
  }

  /**
   * The redactor of a credential, kept for the next call with it: its pattern is built once per
   * key rather than once per call. Bounded, so a stream of distinct caller keys cannot grow it.
   */
  private redactorFor(authorization: string): Redactor {
    let redactor = this.redactors.get(authorization);
    if (redactor === undefined) {
      redactor = redactorFor(authorization);
      if (this.redactors.size >= MAX_KEPT_REDACTORS) this.redactors.clear();
      this.redactors.set(authorization, redactor);
    }
    return redactor;
  }

  private observe(
    outcome: UpstreamAttempt["outcome"],
    startedAt: number,
    attempt: number,
    willRetry: boolean,
    requestId: string | undefined,
    transport?: Pick<UpstreamAttempt, "cause" | "host">,
  ): void {
    this.options.observer?.({
      outcome,
      durationMs: performance.now() - startedAt,
      attempt,
      willRetry,
      requestId,
      ...transport,
    });
  }
}
