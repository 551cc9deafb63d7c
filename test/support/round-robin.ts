/**
 * A small round-robin load balancer for the scale-out tests (and the bench's two-replica row):
 * what haproxy's `balance roundrobin` does in examples/scale-out/haproxy.cfg, in a few lines of
 * Node, so that the tests need no package beyond redis-server. Each HTTP request goes to the next
 * target in turn; answers stream through as they come (SSE included); WebSocket upgrades are
 * spliced to a target as raw bytes. It appends the client's address to `X-Forwarded-For`, as a
 * real balancer does, so replicas run with `TRUST_PROXY=1` as they would in production.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";

/** One request as the balancer handled it: which target answered, and how. */
export interface Routed {
  /** Index into the targets the balancer was started with. */
  target: number;
  method: string;
  path: string;
  /** The target's status; 502 when no target could be reached. */
  status: number;
}

export interface RoundRobin {
  /** `http://127.0.0.1:<port>`: put a path after it (`/graphql`). */
  readonly url: string;
  readonly port: number;
  /** Every HTTP request so far, in the order their answers began. */
  readonly routed: Routed[];
  /** WebSocket upgrades so far, by target index. */
  readonly upgrades: number[];
  close(): Promise<void>;
}

/** Headers that describe one connection, not the message: never forwarded (RFC 9110, 7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) kept[name] = value;
  }
  return kept;
}

function forwardedFor(req: IncomingMessage): string {
  const client = req.socket.remoteAddress ?? "unknown";
  const earlier = req.headers["x-forwarded-for"];
  return earlier === undefined ? client : `${earlier}, ${client}`;
}

/**
 * Whether a failed attempt certainly never reached the target's application, so that sending the
 * request to the next target cannot run it twice: the connection was refused (a replica that is
 * down), or a kept-alive connection turned out to be closed before anything was written back
 * (what a replica that was killed leaves in the pool). haproxy's `retries` with `option
 * redispatch` does the same.
 */
function neverReached(error: NodeJS.ErrnoException, reusedSocket: boolean): boolean {
  return error.code === "ECONNREFUSED" || (reusedSocket && error.code === "ECONNRESET");
}

/**
 * Starts the balancer on a loopback port in front of `targets` (base URLs, `http://host:port`).
 * `record: false` keeps `routed` empty (the bench sends millions of requests).
 */
export async function startRoundRobin(
  targets: readonly string[],
  { record = true }: { record?: boolean } = {},
): Promise<RoundRobin> {
  const upstreams = targets.map((target) => new URL(target));
  let next = 0;
  const routed: Routed[] = [];
  const upgrades: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const pick = (): number => {
    const index = next % upstreams.length;
    next++;
    return index;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers = { ...endToEnd(req.headers), "x-forwarded-for": forwardedFor(req) };
    const attempt = (index: number, triesLeft: number) => {
      const target = upstreams[index] as URL;
      const outgoing = http.request({
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      // A client that leaves (a closed SSE subscriber) closes its request on the replica too.
      const leave = () => {
        if (!res.writableFinished) outgoing.destroy();
      };
      res.once("close", leave);
      outgoing.on("response", (answer) => {
        if (record) {
          routed.push({
            target: index,
            method: req.method ?? "GET",
            path: req.url ?? "/",
            status: answer.statusCode ?? 0,
          });
        }
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        // An event stream's first bytes may be a while coming: the client has its headers now.
        res.flushHeaders();
        answer.pipe(res);
        // The replica went away mid-answer (killed): the client's stream ends as abruptly.
        answer.on("close", () => {
          if (!answer.complete) res.destroy();
        });
      });
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        res.off("close", leave);
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        if (triesLeft > 0 && neverReached(error, outgoing.reusedSocket)) {
          attempt(pick(), triesLeft - 1);
          return;
        }
        if (record) {
          routed.push({
            target: index,
            method: req.method ?? "GET",
            path: req.url ?? "/",
            status: 502,
          });
        }
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`no target answered: ${error.code ?? error.message}`);
      });
      outgoing.end(body);
    };
    // Each target once, and once more for a stale kept-alive connection.
    attempt(pick(), upstreams.length);
  };

  const server = http.createServer((req, res) => {
    // Bodies are small here; holding one whole lets a refused attempt be sent to the next target.
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => forward(req, res, Buffer.concat(chunks)));
  });

  // Spliced sockets are no longer the HTTP server's: `closeAllConnections` would not see them.
  const tunnels = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    tunnels.add(client);
    client.once("close", () => tunnels.delete(client));
    const index = pick();
    const target = upstreams[index] as URL;
    if (record) upgrades.push(index);
    const upstream: Socket = connect(Number(target.port), target.hostname, () => {
      // The upgrade request as it came (Connection and Upgrade included: they are the point),
      // with the client's address added.
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        if (name.toLowerCase() === "x-forwarded-for") continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${forwardedFor(req)}`, "", "");
      upstream.write(lines.join("\r\n"));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const cut = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", cut);
    client.on("error", cut);
    upstream.on("close", cut);
    client.on("close", cut);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    routed,
    upgrades,
    async close() {
      for (const tunnel of tunnels) tunnel.destroy();
      server.closeAllConnections();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
