import type { Logger } from "pino";
import type { GatewayServer } from "./http-server.js";

/**
 * Connections that outlive a request: the WebSockets (src/live/websocket.ts). `server.close()`
 * waits for them without closing them, and `closeAllConnections()` does not reach them.
 */
export interface LongLivedConnections {
  /** At the signal: refuse new ones. */
  startDraining(): void;
  /** When the listener closes: close each once its operations have ended; resolves when done. */
  close(): Promise<void>;
  /** At the deadline: cut what is left. */
  terminate(): void;
}

/** How long shutdown keeps serving, and how long it may take in all. */
export interface DrainTimes {
  /** The drain window: still listening, every answer closes its connection. */
  drainMs: number;
  /** From the signal until whatever is still open is cut. */
  timeoutMs: number;
}

/**
 * Graceful shutdown, in an order that loses no request a client has written:
 * 1. at once, every answer (those in flight included) carries `Connection: close`, so each
 *    keep-alive client learns with its next answer to stop using its connection;
 * 2. for the drain window the server keeps listening and serving, so a request written on a
 *    connection open at the signal is answered, never reset (HTTP/1.1 clients do not retry a POST);
 * 3. then the listener closes, with the connections that are idle or never sent a byte; requests
 *    in flight finish and their connections close behind them; each long-lived connection
 *    (WebSocket) closes with code 1001 once its operations have ended and their `complete` is
 *    written, so its client reconnects, to another replica by then;
 * 4. `timeoutMs` after the signal, whatever is still open is cut.
 * Then `cleanup` runs. Resolves when the server is closed.
 */
export function drainServer(
  gateway: GatewayServer,
  logger: Logger,
  times: DrainTimes,
  cleanup: () => Promise<void>,
  longLived?: LongLivedConnections,
): Promise<void> {
  const { server } = gateway;
  gateway.startDraining();
  longLived?.startDraining();
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      logger.warn({
        msg: "shutdown deadline reached: closing the remaining connections",
        timeoutMs: times.timeoutMs,
      });
      server.closeAllConnections();
      longLived?.terminate();
    }, times.timeoutMs);
    const closeListener = () => {
      logger.info("drain window over: no longer accepting connections");
      server.close(() => {
        clearTimeout(deadline);
        cleanup().finally(resolve);
      });
      // `server.close()` has closed the idle keep-alive connections; these are the others that
      // hold no request.
      gateway.closeUnusedConnections();
      void longLived?.close();
    };
    setTimeout(closeListener, Math.min(times.drainMs, times.timeoutMs));
  });
}
