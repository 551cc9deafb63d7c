import http from "node:http";
import https from "node:https";

/** What came back from one HTTP attempt. */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
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
 * Keep-alive agents shared by every request of the process: connections to the upstream are
 * reused across GraphQL requests (a TLS handshake per call would dominate a page query's cost).
 * Sockets carry no credential state, so sharing them between callers is safe. As many sockets
 * stay open idle as may be busy: with fewer, every burst above the idle limit closed sockets only
 * to open new ones at the next burst (a connect per call under load).
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
};

/** Sends one GET and reads the whole body, failing with a TransportError after `timeoutMs`. */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const transport = url.protocol === "https:" ? https : http;
  const agent = url.protocol === "https:" ? agents["https:"] : agents["http:"];
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = transport.request(url, { method: "GET", headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", () => fail(new TransportError("the answer was cut off", "connection")));
      response.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    // One deadline for the whole attempt (connect, headers and body), not an idle timeout.
    const timer = setTimeout(
      () => fail(new TransportError(`no answer within ${timeoutMs} ms`, "timeout")),
      timeoutMs,
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      fail(new TransportError(`connection failed (${error.code ?? error.message})`, "connection")),
    );
    request.end();
  });
}

/** Closes the kept-alive upstream sockets, so a shutting-down process has nothing left open. */
export function closeUpstreamConnections(): void {
  for (const agent of Object.values(agents)) agent.destroy();
}
