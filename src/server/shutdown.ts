import type { Server } from "node:http";
import type { Logger } from "pino";

/** How often connections that finished their last request are closed while draining. */
const IDLE_SWEEP_MS = 50;

/**
 * Graceful shutdown: stop accepting connections, let in-flight requests finish, close keep-alive
 * connections as soon as they go idle (`server.close()` alone would wait for their timeout), then
 * run `cleanup`. After `timeoutMs` whatever is still open is cut. Resolves when the server is closed.
 */
export function drainServer(
  server: Server,
  logger: Logger,
  timeoutMs: number,
  cleanup: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      logger.warn({
        msg: "shutdown deadline reached: closing the remaining connections",
        timeoutMs,
      });
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      cleanup().finally(resolve);
    });
    server.closeIdleConnections();
  });
}
