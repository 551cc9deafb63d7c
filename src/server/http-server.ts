import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Config } from "../config.js";

/** The settings that bound what one client can hold of the server (see the README's table). */
export type ServingLimits = Pick<
  Config,
  "headersTimeoutMs" | "requestBodyTimeoutMs" | "keepAliveTimeoutMs" | "maxConnections"
>;

/** The gateway's `node:http` server, and the switch that makes it let go of its connections. */
export interface GatewayServer {
  readonly server: Server;
  /**
   * From now on every answer, including those of requests already being worked on, is sent with
   * `Connection: close` and closes its connection once written.
   */
  startDraining(): void;
  /** Closes the connections that never sent a byte: no request of theirs can be lost. */
  closeUnusedConnections(): void;
}

/**
 * Creates the server `npm start` and the tests listen with: header and request-read timeouts, an
 * idle keep-alive timeout and a connection cap, so a handful of slow or idle clients cannot hold
 * the process; and the drain switch graceful shutdown uses (src/server/shutdown.ts).
 */
export function createGatewayServer(
  limits: ServingLimits,
  listener: RequestListener,
): GatewayServer {
  let draining = false;
  // Answers still being worked on: draining must reach them too, or a client waiting on one would
  // keep its connection and send its next request just as the listener closes.
  const unanswered = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      // Node answers 408 and closes a connection whose headers (or whole request, body included)
      // have not arrived in time; a connection that never sends a byte counts as slow headers.
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestBodyTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks both timeouts on this period (30 s by default, longer than the timeouts
      // themselves): a tenth of the shorter one keeps the cut within 10 % of the setting.
      connectionsCheckingInterval: checkingInterval(limits),
    },
    (req, res) => {
      if (draining) {
        res.shouldKeepAlive = false;
      } else {
        unanswered.add(res);
        res.once("close", () => unanswered.delete(res));
      }
      listener(req, res);
    },
  );
  // Beyond the cap Node destroys a new connection as soon as it is accepted.
  server.maxConnections = limits.maxConnections;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return {
    server,
    startDraining() {
      draining = true;
      for (const res of unanswered) {
        // An answer whose headers are out already cannot change them: its connection is closed
        // once it ends. (Left idle, a stream ending after the listener closed, an SSE
        // subscription, would hold the shutdown until KEEP_ALIVE_TIMEOUT_MS.)
        if (!res.headersSent) res.shouldKeepAlive = false;
        else {
          // Node detaches the socket from the response as it finishes: held here.
          const { socket } = res;
          res.once("finish", () => socket?.end());
        }
      }
      unanswered.clear();
    },
    closeUnusedConnections() {
      // `server.close()` closes idle keep-alive connections but not these, and stops enforcing
      // the header timeout that would: they would hold the shutdown until its deadline.
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    },
  };
}

/** Node's timeout checking period for these limits: a tenth of the shorter timeout, 10 ms to 1 s. */
function checkingInterval(limits: ServingLimits): number {
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestBodyTimeoutMs);
  return Math.min(1000, Math.max(10, Math.floor(shorter / 10)));
}
