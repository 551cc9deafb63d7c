import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The floor any gateway pays: a bare keep-alive pass-through proxy with no parsing at all. It
 * forwards each request to `BENCH_UPSTREAM` as it came and streams the answer back. Run as its
 * own process by the bench; prints `listening <port>` when ready.
 */
const upstream = new URL(process.env.BENCH_UPSTREAM ?? "");
if (!upstream.port) throw new Error("BENCH_UPSTREAM must be an http URL with a port");
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const server = http.createServer((req, res) => {
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
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
