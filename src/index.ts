import { createServer } from "node:http";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { DEMO_KEY, startDemoUpstream } from "./demo-upstream/server.js";
import { createGateway } from "./yoga.js";

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
  if (config.demoMode) {
    const demo = await startDemoUpstream();
    config = { ...config, baseUrl: demo.url, apiKey: DEMO_KEY };
    console.log(
      `Demo mode: neither LLAMA_CLOUD_API_KEY nor LLAMA_CLOUD_BASE_URL is set, so the embedded demo upstream (seeded data) serves ${demo.url}/api/v2/parse`,
    );
  } else if (config.apiKey === undefined) {
    console.log(
      "No LLAMA_CLOUD_API_KEY: every caller must send its own Authorization: Bearer header.",
    );
  }
  const gateway = createGateway(config);
  const server = createServer(gateway);
  server.on("error", (error) => {
    console.error(`Could not listen on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    console.log(`GraphQL gateway on http://localhost:${port}/graphql (upstream ${config.baseUrl})`);
  });
}

await main();
