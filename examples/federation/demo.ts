/**
 * `npm run demo:supergraph`: the whole federation setup on one machine, offline. It starts this
 * gateway in demo mode (with its embedded demo upstream), the documents subgraph next to it,
 * composes both into a supergraph with gateway.config.ts and serves that with Hive Gateway on
 * `PORT` (default 4002). Everything listens on 127.0.0.1 only; Ctrl-C (or SIGTERM) stops it all.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { loadConfig } from "../../src/config.js";
import { generateJobs } from "../../src/demo-upstream/data.js";
import { DEMO_KEY, startDemoUpstream } from "../../src/demo-upstream/server.js";
import { createGatewayServer } from "../../src/server/http-server.js";
import { closeUpstreamConnections } from "../../src/upstream/http.js";
import { createListener, createRuntime } from "../../src/yoga.js";
import { startDocumentsSubgraph, type TestDocument } from "./documents-subgraph.js";
import { createGatewayConfig } from "./gateway.config.js";

const port = Number(process.env.PORT ?? 4002);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535 (got ${process.env.PORT})`);
  process.exit(1);
}

/** Starts a server on a loopback port and returns the port it got (`port` 0: any free one). */
function listen(server: ReturnType<typeof createServer>, onPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(onPort, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

// The demo upstream's seeded jobs, generated here too, so the documents can point at real ids.
const jobs = generateJobs();
const demo = await startDemoUpstream({ tenants: { [DEMO_KEY]: jobs } });

// The parse-jobs subgraph: this gateway as `npm start` runs it in demo mode, built from an empty
// environment so that a LLAMA_CLOUD_API_KEY or PORT set in the shell cannot take it off the demo.
const config = {
  ...loadConfig({ LOG_LEVEL: "warn" }),
  baseUrl: demo.url,
  apiKey: DEMO_KEY,
};
const parseJobs = createGatewayServer(config, createListener(config, createRuntime(config)));
const parseJobsUrl = `http://127.0.0.1:${await listen(parseJobs.server, 0)}/graphql`;

// One document per job status (the seeded jobs cycle through the five), then one never parsed.
const titles = ["Q4 Financial Report", "Invoice 2291", "Lease agreement", "Board minutes"];
const documents: TestDocument[] = jobs.slice(0, 5).map((job, index) => ({
  id: `doc-${index + 1}`,
  title: titles[index] ?? `Datasheet ${index + 1}`,
  parseJobId: String(job.json.id),
}));
documents.push({ id: "doc-6", title: "Draft, not parsed yet", parseJobId: null });
const documentsSubgraph = await startDocumentsSubgraph(documents);

// The parse-jobs gateway holds the demo key itself, so no caller needs an Authorization header.
const gateway = createGatewayRuntime({
  ...createGatewayConfig([
    { name: "parse-jobs", url: parseJobsUrl },
    { name: "documents", url: documentsSubgraph.url },
  ]),
  logging: "warn",
});
// Compose before saying "ready": a composition error then fails the start, not the first query.
await gateway.getSchema();
const gatewayServer = createServer(gateway);
let gatewayPort: number;
try {
  gatewayPort = await listen(gatewayServer, port);
} catch (error) {
  console.error(`Could not listen on 127.0.0.1:${port}: ${(error as Error).message}`);
  process.exit(1);
}
const url = `http://127.0.0.1:${gatewayPort}/graphql`;
const query = "{ documents(first: 10) { edges { node { title parseJob { id status } } } } }";

console.log(`parse-jobs subgraph (demo mode, seeded data): ${parseJobsUrl}
documents subgraph: ${documentsSubgraph.url}
Supergraph (Hive Gateway) on ${url}

Try it (or open ${url} for GraphiQL):

  curl -s ${url} -H 'content-type: application/json' \\
    -d '${JSON.stringify({ query })}'

Ctrl-C stops everything.`);

let stopping = false;
async function stop(): Promise<void> {
  // Ctrl-C reaches every process of the terminal's group (npm, tsx, this one): stop only once.
  if (stopping) return;
  stopping = true;
  // A demo has no requests worth draining: cut the connections and close everything.
  gatewayServer.closeAllConnections();
  await new Promise((resolve) => gatewayServer.close(resolve));
  await gateway.dispose();
  await documentsSubgraph.close();
  parseJobs.server.closeAllConnections();
  await new Promise((resolve) => parseJobs.server.close(resolve));
  closeUpstreamConnections();
  await demo.close();
  console.log("stopped");
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
