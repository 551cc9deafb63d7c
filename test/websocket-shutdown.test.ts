import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { listeningUrl, type Spawned, spawnLogged } from "./support/spawned.js";
import { type Stack, startStack } from "./support/stack.js";
import { type RawSocket, rawSocket } from "./support/ws.js";

/**
 * Shutdown with GraphQL over WebSocket open (src/live/websocket.ts, src/server/shutdown.ts):
 * every stream gets its `complete`, then its socket closes with 1001 (going away), so clients
 * reconnect to another replica; no new socket is accepted meanwhile.
 */

const WATCH = "subscription Watch($ids: [ID!]!) { parseJobUpdates(ids: $ids) { id status } }";
const JOB = "pjb-ws-shutdown";

let stack: Stack | undefined;
let demo: DemoUpstream | undefined;
let gateway: Spawned | undefined;
afterEach(async () => {
  gateway?.kill();
  await stack?.close();
  await demo?.close();
  stack = demo = gateway = undefined;
});

/** A job that stays RUNNING: its subscription holds until the server ends it. */
function addRunningJob(upstream: DemoUpstream): void {
  const json = {
    id: JOB,
    project_id: "prj-ws",
    status: "RUNNING",
    created_at: new Date().toISOString(),
  };
  upstream.addJobs([{ json, organizationId: "org-ws" }]);
}

/** A socket past `connection_init`, watching the running job once its first state came. */
async function watching(url: string): Promise<RawSocket> {
  const socket = await idle(url);
  socket.send({ id: "1", type: "subscribe", payload: { query: WATCH, variables: { ids: [JOB] } } });
  expect(await socket.take()).toMatchObject({ id: "1", type: "next" });
  return socket;
}

/** A socket past `connection_init`, running nothing. */
async function idle(url: string): Promise<RawSocket> {
  const socket = await rawSocket(url);
  socket.send({ type: "connection_init" });
  expect(await socket.take()).toEqual({ type: "connection_ack" });
  return socket;
}

describe("shutdown with WebSockets open", () => {
  it("refuses new upgrades once draining, completes streams, then closes with 1001", async () => {
    stack = await startStack({
      config: {
        live: { statusPollMs: 250, maxSubscriptionsPerCaller: 20, webhookSecret: undefined },
      },
    });
    addRunningJob(stack.demo);
    const subscribed = await watching(stack.wsUrl);
    const quiet = await idle(stack.wsUrl);
    stack.webSockets.startDraining();
    await expect(rawSocket(stack.wsUrl)).rejects.toThrow("refused: 503");
    // As src/index.ts does: the streams end (at the signal), the sockets go (as the listener
    // closes), each after its operations.
    stack.runtime.live.close();
    await stack.webSockets.close();
    expect(await subscribed.closed).toEqual({ code: 1001, reason: "The server is shutting down" });
    // `complete` came before the close: nothing is received after one.
    expect(subscribed.messages.at(-1)).toEqual({ id: "1", type: "complete" });
    expect((await quiet.closed).code).toBe(1001);
  });

  it("the real process, on SIGTERM: complete, 1001, exit 0 well before its deadline", async () => {
    demo = await startDemoUpstream();
    addRunningJob(demo);
    gateway = spawnLogged(process.execPath, ["--import", "tsx", "src/index.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        LLAMA_CLOUD_BASE_URL: demo.url,
        LLAMA_CLOUD_API_KEY: DEMO_KEY,
        STATUS_POLL_MS: "250",
        SHUTDOWN_DRAIN_MS: "100",
        // Far beyond the test's timeout: an exit means the sockets closed, not that time ran out.
        SHUTDOWN_TIMEOUT_MS: "120000",
      },
    });
    const url = (await listeningUrl(gateway)).replace(/^http/, "ws");
    const subscribed = await watching(url);
    const quiet = await idle(url);
    const exited = once(gateway.child, "exit");
    gateway.child.kill("SIGTERM");
    expect((await subscribed.closed).code).toBe(1001);
    expect(subscribed.messages.at(-1)).toEqual({ id: "1", type: "complete" });
    expect((await quiet.closed).code).toBe(1001);
    const [code] = await exited;
    expect(code).toBe(0);
    expect(gateway.output().stdout).not.toContain("shutdown deadline reached");
  }, 30_000);
});
