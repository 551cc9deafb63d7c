/**
 * SIGTERM with subscriptions open, through the process `npm start` runs: every stream completes
 * cleanly (its client can reconnect to another replica), the pollers stop, and the process exits 0
 * well before SHUTDOWN_TIMEOUT_MS (an open stream does not hold the drain).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { demoJobs, idsOf, takeStates, type Update, WATCH } from "./support/live.js";
import { subscribeSse } from "./support/sse.js";

let demo: DemoUpstream;

beforeAll(async () => {
  demo = await startDemoUpstream();
});

afterAll(async () => {
  await demo.close();
});

it("completes every open stream on SIGTERM and exits 0", async () => {
  const jobs = demoJobs("sigterm", 2);
  demo.addJobs(jobs);
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      LLAMA_CLOUD_BASE_URL: demo.url,
      LLAMA_CLOUD_API_KEY: DEMO_KEY,
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      STATUS_POLL_MS: "250",
      SHUTDOWN_TIMEOUT_MS: "60000",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    while (!output.includes("GraphQL gateway on")) {
      if (child.exitCode !== null) throw new Error(`the gateway exited: ${output}`);
      await sleep(10);
    }
    const port = Number(/"port":(\d+)/.exec(output)?.[1]);
    const url = `http://127.0.0.1:${port}/graphql`;
    const subscriptions = await Promise.all([
      subscribeSse<Update>(url, WATCH, { ids: idsOf(jobs) }),
      subscribeSse<Update>(url, WATCH, { ids: idsOf(jobs).slice(1) }),
    ]);
    await takeStates(subscriptions[0] as NonNullable<(typeof subscriptions)[0]>, 2);
    await takeStates(subscriptions[1] as NonNullable<(typeof subscriptions)[1]>, 1);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    for (const subscription of subscriptions) {
      expect(await subscription.take(10_000)).toBeNull();
      expect(subscription.completed).toBe(true);
    }
    const [code] = await exited;
    expect(code).toBe(0);
    // The drain did not wait for its deadline on the streams.
    expect(output).not.toContain("shutdown deadline reached");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}, 30_000);
