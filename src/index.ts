import { type Config, ConfigError, loadConfig } from "./config.js";
import { MOVING_JOB_IDS, startDemoMotion } from "./demo-upstream/motion.js";
import { DEMO_KEY, startDemoUpstream } from "./demo-upstream/server.js";
import { attachWebSockets } from "./live/websocket.js";
import { createLogger } from "./observability/logging.js";
import { createGatewayServer } from "./server/http-server.js";
import { drainServer } from "./server/shutdown.js";
import { startTracing } from "./tracing/index.js";
import { closeUpstreamConnections } from "./upstream/http.js";
import {
  createGatewayHandlers,
  createRuntime,
  type GatewayHandlers,
  type GatewayRuntime,
} from "./yoga.js";

/** Starts the gateway: `npm start`. Without a key or base URL it brings its own demo upstream. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  let closeDemo = async (): Promise<void> => {};
  const logger = createLogger(config);
  // Before anything serves, so the first request is traced too; nothing at all without an endpoint.
  const tracing = await startTracing(config.tracing, logger);
  if (config.demoMode) {
    const demo = await startDemoUpstream();
    // A few jobs move through PENDING → RUNNING → COMPLETED/FAILED, for parseJobUpdates to show.
    const stopMotion = startDemoMotion(demo);
    closeDemo = () => {
      stopMotion();
      return demo.close();
    };
    config = { ...config, baseUrl: demo.url, apiKey: DEMO_KEY };
    logger.info(
      `Demo mode: neither LLAMA_CLOUD_API_KEY nor LLAMA_CLOUD_BASE_URL is set, so the embedded demo upstream (seeded data) serves ${demo.url}/api/v2/parse. To leave it, set LLAMA_CLOUD_API_KEY, or LLAMA_CLOUD_BASE_URL, or NODE_ENV=production (LlamaCloud with callers' own keys).`,
    );
    logger.info(
      `Demo mode: jobs ${MOVING_JOB_IDS.join(", ")} are submitted afresh every 45 s and move PENDING → RUNNING → COMPLETED/FAILED; watch them with the parseJobUpdates subscription (README, "Live job status").`,
    );
  } else if (config.apiKey === undefined) {
    logger.info(
      `No LLAMA_CLOUD_API_KEY: every caller must send its own Authorization: Bearer header (upstream ${config.baseUrl}).`,
    );
  } else if (config.callers.auth === undefined) {
    // The gateway authenticates nobody: whoever reaches it reads the account behind the key.
    logger.warn(
      "LLAMA_CLOUD_API_KEY is used for every caller without an Authorization header, and the gateway authenticates no caller: anyone who can reach it reads that account's jobs. Keep it reachable only by your own services (private network, or an authenticating proxy in front).",
    );
  }
  if (config.callers.auth !== undefined) {
    logger.info(
      `Callers authenticate with a JWT (${config.callers.auth.jwksUrl === undefined ? "AUTH_JWT_SECRET" : "AUTH_JWKS_URL"}${config.callers.auth.projectClaim === undefined ? ", every project" : `, projects from the ${JSON.stringify(config.callers.auth.projectClaim)} claim`}) and are served with LLAMA_CLOUD_API_KEY.`,
    );
  }
  let runtime: GatewayRuntime;
  let handlers: GatewayHandlers;
  try {
    runtime = createRuntime(config, logger);
    handlers = createGatewayHandlers(config, runtime);
  } catch (error) {
    // Files named by the configuration (trusted-document manifests) are read here.
    if (error instanceof ConfigError) {
      console.error(`Invalid configuration: ${error.message}`);
      await closeDemo();
      process.exit(1);
    }
    throw error;
  }
  const gateway = createGatewayServer(config, handlers.listener);
  const { server } = gateway;
  const webSockets = attachWebSockets(server, config, runtime, handlers.yoga);
  server.on("error", (error) => {
    logger.fatal(`Could not listen on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    logger.info({
      msg: `GraphQL gateway on http://localhost:${port}/graphql (upstream ${config.baseUrl})`,
      port,
    });
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({
      msg: "shutting down: every answer now closes its connection",
      signal,
      drainMs: config.shutdownDrainMs,
    });
    // Load balancers polling /readiness stop sending traffic while the rest drains.
    runtime.readiness.drain();
    // Every subscription completes now, before the drain: its client reconnects to another
    // replica, and an open event stream would otherwise hold the drain until its deadline.
    runtime.live.close();
    const times = { drainMs: config.shutdownDrainMs, timeoutMs: config.shutdownTimeoutMs };
    // New upgrades are refused from now on; when the listener closes, each WebSocket closes
    // with 1001 once its operations have ended and their `complete` is written.
    const longLived = {
      startDraining: () => webSockets.startDraining(),
      close: () => webSockets.close(),
      terminate: () => webSockets.terminate(),
    };
    const cleanup = async () => {
      closeUpstreamConnections();
      await closeDemo();
      // Last: until the drain ends, requests still in flight count and cache through Redis.
      await runtime.shared?.close();
      // After the drain: the spans of the last requests are exported before the exit.
      await tracing.shutdown();
    };
    void drainServer(gateway, logger, times, cleanup, longLived).then(() => {
      logger.info("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

await main();
