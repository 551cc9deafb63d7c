import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";

/**
 * The floor any gateway pays: a bare keep-alive pass-through proxy with no parsing at all. It
 * forwards each request to `BENCH_UPSTREAM` as it came and streams the answer back. Run as its
 * own process by the bench; prints `listening <port>` when ready.
 *
 * `BENCH_PROXY_CLIENT` picks how it calls the upstream: `node` (default) with `http.request`, or
 * `undici` with undici's dispatch API, the client the gateway itself uses. Both are measured, so
 * the gateway is held to the cheaper floor too, not only to Node's own client.
 */
const upstream = new URL(process.env.BENCH_UPSTREAM ?? "");
if (!upstream.port) throw new Error("BENCH_UPSTREAM must be an http URL with a port");
const client = process.env.BENCH_PROXY_CLIENT ?? "node";
if (client !== "node" && client !== "undici") {
  throw new Error(`BENCH_PROXY_CLIENT must be node or undici, not ${JSON.stringify(client)}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const forwardWithNode: http.RequestListener = (req, res) => {
  const forward = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on("error", () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(forward);
};

const dispatcher = new Agent({ connections: 64, pipelining: 1 });
// The bench sends only GETs without a body, so the request's own body is not forwarded here.
const forwardWithUndici: http.RequestListener = (req, res) => {
  dispatcher.dispatch(
    {
      origin: upstream.origin,
      path: req.url ?? "/",
      method: req.method === "HEAD" ? "HEAD" : "GET",
      headers: { ...req.headers, host: upstream.host },
    },
    {
      onRequestStart() {},
      onResponseStart(_, status, headers) {
        res.writeHead(status, headers as http.OutgoingHttpHeaders);
      },
      onResponseData(_, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    },
  );
};

const server = http.createServer(client === "node" ? forwardWithNode : forwardWithUndici);
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
