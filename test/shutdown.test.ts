import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";

/** Starts `src/index.ts` as `npm start` would, and resolves with its port once it listens. */
async function startGatewayProcess(
  upstreamUrl: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      LLAMA_CLOUD_BASE_URL: upstreamUrl,
      LLAMA_CLOUD_API_KEY: DEMO_KEY,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: "15000",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.on("exit", (code) => reject(new Error(`the gateway exited early (${code}): ${output}`)));
  });
  return { child, port };
}

describe("graceful shutdown of the real process", () => {
  let demo: DemoUpstream | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await demo?.close();
  });

  it("finishes the in-flight request on SIGTERM, refuses new ones and exits 0", async () => {
    demo = await startDemoUpstream();
    const started = await startGatewayProcess(demo.url);
    child = started.child;
    const url = `http://127.0.0.1:${started.port}/graphql`;
    const exited = once(child, "exit");
    // The upstream answers this one slowly: SIGTERM lands while it is in flight.
    demo.inject({ delayMs: 1500 });
    const inFlight = fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ parseJobs(first: 3) { edges { node { id } } } }" }),
    });
    while (demo.listCalls() === 0) await sleep(10);
    child.kill("SIGTERM");
    await sleep(100);
    await expect(fetch(url, { method: "POST", body: "{}" })).rejects.toThrow();

    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { parseJobs: { edges: unknown[] } } };
    expect(body.data.parseJobs.edges).toHaveLength(3);
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
