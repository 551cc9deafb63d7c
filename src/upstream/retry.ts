/**
 * When and how long to wait before another attempt, as the official SDKs do: retry connection
 * errors, timeouts, 408, 409, 429 and 5xx; back off `min(base · 2^attempt, 8 s)` less up to 25 %
 * jitter, or as long as the server asks when that is under a minute.
 */

/** Waits the SDKs never exceed: a server asking for longer is ignored in favour of our backoff. */
const MAX_HONOURED_RETRY_AFTER_MS = 60_000;
const MAX_BACKOFF_MS = 8_000;

/** Connection errors and timeouts are retried elsewhere; these are the statuses worth another try. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `min(base · 2^attempt, 8 s)` less up to 25 % jitter, or what the server asked for. */
export function backoffMs(baseMs: number, attempt: number, askedMs: number | undefined): number {
  if (askedMs !== undefined && askedMs <= MAX_HONOURED_RETRY_AFTER_MS) return askedMs;
  const ceiling = Math.min(baseMs * 2 ** attempt, MAX_BACKOFF_MS);
  return ceiling * (1 - Math.random() * 0.25);
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

/** A backoff that ends early, with the signal's reason, when nobody waits for it any more. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", stop);
      resolve();
    }, ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
}
