import { Agent, type Dispatcher } from "undici";

/** The headers of an answer, lower-cased as they came. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** What came back from one HTTP attempt. */
export interface HttpAnswer {
  status: number;
  headers: AnswerHeaders;
  body: string;
}

/** Why one attempt got no usable answer: the reason is safe to show (no URL query, no header). */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(
    message: string,
    readonly kind: "timeout" | "connection" | "too_large",
    /** The system error code of a connection failure (`ECONNREFUSED`, `ENOTFOUND`…), for logs. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * One keep-alive dispatcher (undici) shared by every request of the process: connections to the
 * upstream are reused across GraphQL requests (a TLS handshake per call would dominate a page
 * query's cost). Sockets carry no credential state, so sharing them between callers is safe.
 *
 * undici rather than `http.request`: for a small JSON answer, Node's client spent more CPU
 * building its request and response objects and streams than the call itself took
 * (BENCHMARKS.md). Up to 64 connections per origin, one request at a time on each (no
 * pipelining: a slow answer must not hold up the ones behind it).
 */
let dispatcher = newDispatcher();

function newDispatcher(): Agent {
  return new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
}

/**
 * The most bytes of an answer read before giving up on it, when the caller sets no limit: far
 * above any real page (100 jobs are ≈ 50 kB), low enough that a broken or hostile upstream cannot
 * make the gateway buffer and parse hundreds of megabytes.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 10_000_000;

/** What one GET may be cut short by, besides its deadline. */
export interface GetOptions {
  /** Aborts the attempt (freeing its connection); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Answers longer than this fail with a `too_large` TransportError, read no further. */
  maxBytes?: number;
}

/**
 * Sends one GET and reads the whole body, failing with a TransportError after `timeoutMs` or
 * past `maxBytes`, and with the signal's reason when it aborts.
 */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  { signal, maxBytes = DEFAULT_MAX_ANSWER_BYTES }: GetOptions = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let settled: Error | true | undefined;
    let status = 0;
    let answerHeaders: AnswerHeaders = {};
    let received = 0;
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: Error) => {
      if (settled !== undefined) return;
      settled = error;
      done();
      // Aborting a started request destroys its socket: a hung or oversized answer gives its
      // connection back instead of holding one of the pool's 64.
      controller?.abort(error);
      reject(error);
    };
    const tooLarge = () =>
      fail(new TransportError(`the answer is larger than ${maxBytes} bytes`, "too_large"));
    const onAbort = () => fail(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    // One deadline for the whole attempt (queueing, connect, headers and body), not an idle
    // timeout: undici's own per-phase timeouts are turned off.
    const timer = setTimeout(
      () => fail(new TransportError(`no answer within ${timeoutMs} ms`, "timeout")),
      timeoutMs,
    );
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers,
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      {
        onRequestStart(started) {
          controller = started;
          // The deadline passed, or the caller left, while the request waited for a connection.
          if (settled instanceof Error) started.abort(settled);
        },
        onResponseStart(_, statusCode, responseHeaders) {
          status = statusCode;
          answerHeaders = responseHeaders;
          // A declared length over the limit is refused before a byte of the body is read.
          if (Number(responseHeaders["content-length"]) > maxBytes) tooLarge();
        },
        onResponseData(_, chunk) {
          if (settled !== undefined) return;
          received += chunk.length;
          if (received > maxBytes) tooLarge();
          else chunks.push(chunk);
        },
        onResponseEnd() {
          if (settled !== undefined) return;
          settled = true;
          done();
          resolve({
            status,
            headers: answerHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        },
        onResponseError(_, error: Error & { code?: string }) {
          const cause = error.code ?? error.message;
          fail(
            new TransportError(
              status === 0 ? `connection failed (${cause})` : `the answer was cut off (${cause})`,
              "connection",
              error.code,
            ),
          );
        },
      },
    );
  });
}

/** Closes the kept-alive upstream sockets, so a shutting-down process has nothing left open. */
export function closeUpstreamConnections(): void {
  const closing = dispatcher;
  dispatcher = newDispatcher();
  void closing.destroy().catch(() => {});
}
