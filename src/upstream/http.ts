import { Agent, type Dispatcher } from "undici";

/** The headers of an answer, lower-cased as they came. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** What came back from one HTTP attempt. */
export interface HttpAnswer {
  status: number;
  headers: AnswerHeaders;
  body: string;
}

/** Why one attempt got no answer: the reason is safe to show (no URL query, no header). */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(
    message: string,
    readonly kind: "timeout" | "connection",
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

/** Sends one GET and reads the whole body, failing with a TransportError after `timeoutMs`. */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled: TransportError | true | undefined;
    let status = 0;
    let answerHeaders: AnswerHeaders = {};
    const chunks: Buffer[] = [];
    const fail = (error: TransportError) => {
      if (settled !== undefined) return;
      settled = error;
      clearTimeout(timer);
      controller?.abort(error);
      reject(error);
    };
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
          // The deadline passed while the request waited for a connection.
          if (settled instanceof TransportError) started.abort(settled);
        },
        onResponseStart(_, statusCode, responseHeaders) {
          status = statusCode;
          answerHeaders = responseHeaders;
        },
        onResponseData(_, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (settled !== undefined) return;
          settled = true;
          clearTimeout(timer);
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
