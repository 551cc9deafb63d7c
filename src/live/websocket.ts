/**
 * GraphQL over WebSocket (the `graphql-transport-ws` protocol of `graphql-ws`) on `/graphql`:
 * what Apollo Client's `GraphQLWsLink` and urql speak for `parseJobUpdates`; queries work too.
 * This is the transport (upgrades, sockets, keep-alive, shutdown); what an operation goes
 * through is src/live/websocket-operations.ts.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { CloseCode, handleProtocols, makeServer } from "graphql-ws";
import { Gauge } from "prom-client";
import { WebSocket, WebSocketServer } from "ws";
import type { Config } from "../config.js";
import type { Gateway, GatewayRuntime } from "../yoga.js";
import { type OperationConnection, operationOptions } from "./websocket-operations.js";

/** What shutdown asks of the open WebSockets (src/server/shutdown.ts). */
export interface GatewayWebSockets {
  /** From now on a new upgrade is answered 503: the client reconnects to another replica. */
  startDraining(): void;
  /**
   * Closes each connection with 1001 (going away) once its operations have ended and their
   * `complete` is written; resolves when every connection is closed.
   */
  close(): Promise<void>;
  /** Cuts every connection now (the shutdown deadline). */
  terminate(): void;
}

/** A connection's state. */
interface Connection extends OperationConnection {
  readonly socket: WebSocket;
  /** Message handlers still running: a subscribe's runs until its `complete` is written. */
  busy: number;
  /** Answered the last keep-alive ping. */
  alive: boolean;
}

/** Pings go out this often; a connection that has not answered the previous one is cut. */
const KEEP_ALIVE_MS = 15_000;

/** The close a connection gets at shutdown: 1001, so clients reconnect (to another replica). */
const GOING_AWAY = 1001;

/**
 * Serves `graphql-ws` on the server's `upgrade` event for `/graphql`; any other path is refused.
 * A connection counts against MAX_CONNECTIONS (Node counts upgraded sockets), a message is at
 * most MAX_BODY_BYTES (ws closes the socket with 1009 past it), and `connection_init` must come
 * within HEADERS_TIMEOUT_MS, as an HTTP request's headers must (4408 past it).
 */
export function attachWebSockets(
  server: Server,
  config: Config,
  runtime: GatewayRuntime,
  yoga: Gateway,
): GatewayWebSockets {
  const { logger } = runtime;
  const connections = new Set<Connection>();
  let draining = false;
  let closing = false;
  // Who waits for the last connection to close (`close()`).
  const waiting: Array<() => void> = [];
  // No compression: a small compressed message could inflate far past the size limit.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxBodyBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const graphqlWs = makeServer<Record<string, unknown>, Connection>({
    ...operationOptions<Connection>(runtime, yoga),
    connectionInitWaitTimeout: config.headersTimeoutMs,
  });
  new Gauge({
    name: "graphql_websocket_connections",
    help: "GraphQL over WebSocket connections open",
    registers: [runtime.metrics.registry],
    collect() {
      this.set(connections.size);
    },
  });

  const goAway = (connection: Connection) =>
    connection.socket.close(GOING_AWAY, "The server is shutting down");

  const open = (socket: WebSocket, req: IncomingMessage) => {
    const connection: Connection = {
      socket,
      req,
      authorization: null,
      operations: new Map(),
      busy: 0,
      alive: true,
    };
    connections.add(connection);
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        // A send to a socket that closed meanwhile is dropped: its close handler cleans up.
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== WebSocket.OPEN) return resolve();
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", async (data) => {
            connection.busy++;
            try {
              await handle(String(data));
            } catch (error) {
              // graphql-ws throws for a message of an unknown type; anything else is a bug.
              logger.warn({ msg: "websocket message refused", error: String(error) });
              socket.close(CloseCode.BadRequest, "Invalid message received");
            } finally {
              connection.busy--;
              if (closing && connection.busy === 0) goAway(connection);
            }
          }),
      },
      connection,
    );
    socket.on("pong", () => {
      connection.alive = true;
    });
    // ws closes the socket itself on a protocol error or an oversized message: only noted.
    socket.on("error", (error) => logger.debug({ msg: "websocket error", error: error.message }));
    socket.once("close", (code, reason) => {
      connections.delete(connection);
      for (const controller of connection.operations.values()) controller.abort();
      void closed(code, reason.toString());
      if (connections.size === 0) for (const resolve of waiting.splice(0)) resolve();
    });
  };

  // Finds peers that vanished without a close (a dropped network): they would hold a connection
  // slot, and their subscriptions' polls, until TCP gave up on them.
  const keepAlive = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    if (pathOf(req) !== "/graphql") return refuse(socket, 404, "Not Found");
    if (!originAllowed(req, config.corsOrigins)) return refuse(socket, 403, "Forbidden");
    if (draining) return refuse(socket, 503, "Service Unavailable");
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, req));
  });

  return {
    startDraining() {
      draining = true;
    },
    close() {
      draining = true;
      closing = true;
      clearInterval(keepAlive);
      if (connections.size === 0) return Promise.resolve();
      const done = new Promise<void>((resolve) => waiting.push(resolve));
      // The others go once their last handler returns (see `onMessage` above).
      for (const connection of connections) if (connection.busy === 0) goAway(connection);
      return done;
    },
    terminate() {
      clearInterval(keepAlive);
      for (const { socket } of connections) socket.terminate();
    },
  };
}

/** The path asked for; "" when the target does not parse (Node lets `http://[` through). */
function pathOf(req: IncomingMessage): string {
  const target = req.url ?? "/";
  return URL.canParse(target, "http://localhost")
    ? new URL(target, "http://localhost").pathname
    : "";
}

/**
 * Browsers send `Origin` on an upgrade but apply no CORS to WebSockets: without this check any
 * page a user visits could read the gateway from the user's network position (and, without
 * caller authentication, with the server's key). Same-origin pages, the origins CORS_ORIGINS
 * allows, and clients that send no Origin (servers, apps) are let in.
 */
function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const { origin, host } = req.headers;
  if (origin === undefined || allowed[0] === "*" || allowed.includes(origin)) return true;
  return URL.canParse(origin) && new URL(origin).host === host;
}

/** An HTTP answer on the raw socket, which is then closed: no upgrade is made. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
