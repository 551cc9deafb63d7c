import { setTimeout as sleep } from "node:timers/promises";
import { errorForUpstreamAnswer, GatewayError } from "./errors.js";
import { type HttpAnswer, httpGet, TransportError } from "./http.js";
import { type ListPage, parseListPage } from "./list-response.js";

/** REST query params as ordered pairs; `job_ids` repeats, so a plain object cannot hold them. */
export type RestParams = ReadonlyArray<readonly [name: string, value: string]>;

/** One call of `GET /api/v2/parse`. */
export interface ListRequest {
  /** The filter, already in REST names; re-sent unchanged with every page token. */
  filter: RestParams;
  pageSize: number;
  pageToken: string | null;
}

/** What one HTTP attempt to the upstream came to, for metrics and logs (never the credential). */
export interface UpstreamAttempt {
  /** The HTTP status, or why there was none. */
  outcome: number | "timeout" | "connection";
  durationMs: number;
  /** 0 for the first attempt of a call, 1 for the first retry, … */
  attempt: number;
  /** Whether another attempt follows this one. */
  willRetry: boolean;
  requestId: string | undefined;
}

/** Told about every upstream attempt; must not throw (it runs on the request path). */
export type UpstreamObserver = (attempt: UpstreamAttempt) => void;

export interface UpstreamClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  observer?: UpstreamObserver;
  /** Share an identical call (same URL and credential) while it is in flight; default off. */
  deduplicate?: boolean;
  /** Told each time a call joins one in flight instead of going out. */
  onDeduplicated?: () => void;
}

/** Waits the SDKs never exceed: a server asking for longer is ignored in favour of our backoff. */
const MAX_HONOURED_RETRY_AFTER_MS = 60_000;
const MAX_BACKOFF_MS = 8_000;

/**
 * The one module that talks HTTP to LlamaCloud's list endpoint: retries, timeouts and the mapping
 * of every failure onto a GatewayError. It holds no per-caller state; the caller's
 * `Authorization` value is passed in on each call and goes nowhere but the request header.
 */
export class UpstreamClient {
  private readonly endpoint: URL;
  /** Calls in flight by credential and URL, when deduplicating. */
  private readonly inFlight = new Map<string, Promise<ListPage>>();

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
   */
  listParseJobs(
    request: ListRequest,
    authorization: string,
    requestId?: string,
  ): Promise<ListPage> {
    const url = new URL(this.endpoint);
    for (const [name, value] of request.filter) url.searchParams.append(name, value);
    url.searchParams.set("page_size", String(request.pageSize));
    if (request.pageToken !== null) url.searchParams.set("page_token", request.pageToken);
    if (!this.options.deduplicate) return this.fetchPage(url, authorization, requestId);
    // The credential is part of the key: callers with different keys never share an answer.
    const key = `${authorization}\n${url.href}`;
    const joined = this.inFlight.get(key);
    if (joined !== undefined) {
      this.options.onDeduplicated?.();
      return joined;
    }
    const call = this.fetchPage(url, authorization, requestId).finally(() => {
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, call);
    return call;
  }

  private async fetchPage(url: URL, authorization: string, requestId?: string): Promise<ListPage> {
    const headers: Record<string, string> = { authorization, accept: "application/json" };
    // Lets the upstream's logs (and ours) be joined on one id.
    if (requestId !== undefined) headers["x-request-id"] = requestId;
    const observe = this.options.observer;

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.options.maxRetries;
      const startedAt = performance.now();
      let answer: HttpAnswer;
      try {
        answer = await httpGet(url, headers, this.options.timeoutMs);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        observe?.({
          outcome: error.kind,
          durationMs: performance.now() - startedAt,
          attempt,
          willRetry: retriesLeft,
          requestId,
        });
        if (retriesLeft) {
          await sleep(this.backoffMs(attempt, undefined));
          continue;
        }
        throw new GatewayError(
          "UPSTREAM_UNAVAILABLE",
          `LlamaCloud could not be reached: ${error.message}${this.afterAttempts(attempt)}`,
        );
      }
      const retry = retriesLeft && isRetryable(answer.status);
      observe?.({
        outcome: answer.status,
        durationMs: performance.now() - startedAt,
        attempt,
        willRetry: retry,
        requestId,
      });
      if (answer.status >= 200 && answer.status < 300) {
        return parseListPage(answer.body, answer.status, (text) => redact(text, authorization));
      }
      const askedWaitMs = retryAfterMs(answer.headers);
      if (retry) {
        await sleep(this.backoffMs(attempt, askedWaitMs));
        continue;
      }
      const retryAfterSeconds =
        askedWaitMs === undefined ? undefined : Math.max(1, Math.ceil(askedWaitMs / 1000));
      throw errorForUpstreamAnswer(
        answer.status,
        redact(answer.body, authorization),
        retryAfterSeconds,
      );
    }
  }

  /** `min(base · 2^attempt, 8 s)` less up to 25 % jitter, or what the server asked for. */
  private backoffMs(attempt: number, askedMs: number | undefined): number {
    if (askedMs !== undefined && askedMs <= MAX_HONOURED_RETRY_AFTER_MS) return askedMs;
    const ceiling = Math.min(this.options.retryBaseDelayMs * 2 ** attempt, MAX_BACKOFF_MS);
    return ceiling * (1 - Math.random() * 0.25);
  }

  private afterAttempts(attempt: number): string {
    return attempt === 0 ? "" : ` (after ${attempt + 1} attempts)`;
  }
}

/**
 * Removes the caller's key from upstream text before any of it reaches an error message: an
 * upstream (or a proxy in front of it) that echoes the request must not leak the key.
 */
function redact(text: string, authorization: string): string {
  const key = authorization.replace(/^Bearer\s+/i, "");
  return key.length >= 4 ? text.split(key).join("[redacted]") : text;
}

/** Connection errors and timeouts are retried elsewhere; these are the statuses worth another try. */
function isRetryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): number | undefined {
  const ms = Number(headers["retry-after-ms"]);
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers["retry-after"];
  if (typeof raw !== "string" || raw.trim() === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
