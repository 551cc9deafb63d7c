import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";

/** A gateway process as `npm start` runs it, and a way to wait for its log lines. */
interface GatewayProcess {
  child: ChildProcess;
  port: number;
  waitForLog(text: string): Promise<void>;
}

/** Starts `src/index.ts` as `npm start` would, and resolves once it listens. */
async function startGatewayProcess(
  upstreamUrl: string,
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      LLAMA_CLOUD_BASE_URL: upstreamUrl,
      LLAMA_CLOUD_API_KEY: DEMO_KEY,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: "15000",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const waitForLog = async (text: string) => {
    // Bounded by the test's own timeout; stops early if the process is gone.
    while (!output.includes(text)) {
      if (child.exitCode !== null)
        throw new Error(`the gateway exited before "${text}": ${output}`);
      await sleep(5);
    }
  };
  await waitForLog("GraphQL gateway on");
  const port = Number(/"port":(\d+)/.exec(output)?.[1]);
  return { child, port, waitForLog };
}

interface Answer {
  status: number | undefined;
  connection: string | undefined;
  body: string;
}

/**
 * One HTTP/1.1 request through `agent`; `false` means a connection of its own, on which Node
 * itself asks for `Connection: close`.
 */
function send(
  port: number,
  agent: Agent | false,
  method: "GET" | "POST",
  path: string,
  body = "",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": body.length };
    const req = request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () =>
        resolve({ status: res.statusCode, connection: res.headers.connection, body: text }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const pageQuery = (first: number) =>
  JSON.stringify({ query: `{ parseJobs(first: ${first}) { edges { node { id } } } }` });

describe("graceful shutdown of the real process", () => {
  let demo: DemoUpstream | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await demo?.close();
  });

  it("finishes the in-flight request with Connection: close, refuses connections after the drain window, exits 0", async () => {
    demo = await startDemoUpstream();
    const drainMs = 1500;
    const gateway = await startGatewayProcess(demo.url, { SHUTDOWN_DRAIN_MS: String(drainMs) });
    child = gateway.child;
    const exited = once(child, "exit");
    // A connection that never sends a byte must not hold the exit (Node stops timing out slow
    // headers once the listener closes).
    const silent = connect(gateway.port, "127.0.0.1");
    silent.on("error", () => {});
    await once(silent, "connect");
    // The upstream answers this one slowly: SIGTERM lands while it is in flight, and its answer
    // goes out during the drain window, while the server still listens.
    demo.inject({ delayMs: 700 });
    // Keep-alive, as a browser or a service client would be: only the server can ask to close.
    const keepAlive = new Agent({ keepAlive: true });
    const inFlight = send(gateway.port, keepAlive, "POST", "/graphql", pageQuery(3));
    while (demo.listCalls() === 0) await sleep(10);
    const signalledAt = performance.now();
    child.kill("SIGTERM");
    await gateway.waitForLog("shutting down");
    const answer = await inFlight;
    keepAlive.destroy();
    await sleep(drainMs + 200);
    await expect(send(gateway.port, false, "POST", "/graphql", pageQuery(1))).rejects.toThrow(
      /ECONNREFUSED/,
    );

    expect(answer.status).toBe(200);
    expect(answer.connection).toBe("close");
    const body = JSON.parse(answer.body) as { data: { parseJobs: { edges: unknown[] } } };
    expect(body.data.parseJobs.edges).toHaveLength(3);
    const [code] = await exited;
    expect(code).toBe(0);
    // The shutdown deadline (15 s) was never needed.
    expect(performance.now() - signalledAt).toBeLessThan(drainMs + 5000);
  }, 20_000);

  it("resets no request of 20 keep-alive clients under load, tells each to close, exits 0", async () => {
    demo = await startDemoUpstream();
    // Every upstream call takes a little while, so requests are in flight at any moment.
    demo.inject({ delayMs: 20, times: 1_000_000 });
    const drainMs = 1000;
    const gateway = await startGatewayProcess(demo.url, { SHUTDOWN_DRAIN_MS: String(drainMs) });
    child = gateway.child;
    const exited = once(child, "exit");
    const answers: Answer[] = [];
    const errors: string[] = [];
    const counts = new Array<number>(20).fill(0);

    // One connection per client, reused while the server keeps it; a client stops once an
    // answer says `Connection: close`, as HTTP/1.1 asks (and on an error, which fails the test).
    const clients = counts.map(async (_, index) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = 0; n < 100_000; n++) {
          const answer = await send(gateway.port, agent, "POST", "/graphql", pageQuery(1 + index));
          answers.push(answer);
          counts[index] = n + 1;
          if (answer.connection === "close") return;
        }
      } catch (error) {
        errors.push(`client ${index}, request ${(counts[index] ?? 0) + 1}: ${String(error)}`);
      } finally {
        agent.destroy();
      }
    });

    // Until every client has been answered a few times: all 20 connections are open.
    for (let i = 0; i < 1000 && counts.some((count) => count < 3); i++) await sleep(10);
    const signalledAt = performance.now();
    child.kill("SIGTERM");
    await gateway.waitForLog("shutting down");
    // A new connection during the drain window is still served, and told to close.
    const probe = new Agent({ keepAlive: true });
    const readiness = send(gateway.port, probe, "GET", "/readiness").catch(String);

    await Promise.all(clients);
    expect(errors).toEqual([]);
    expect(await readiness).toMatchObject({ status: 503, connection: "close" });
    probe.destroy();
    for (const answer of answers) expect(answer.status).toBe(200);
    // Every client ended on an answer that told it to close (the first it got after the signal,
    // or it would have sent another), none on a cut connection.
    const closes = answers.filter((answer) => answer.connection === "close");
    expect(closes).toHaveLength(20);

    const [code] = await exited;
    expect(code).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(drainMs + 5000);
  }, 30_000);
});
