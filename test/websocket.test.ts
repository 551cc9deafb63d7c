import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SubscribePayload } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../src/config.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { MAX_OPERATIONS_PER_CONNECTION } from "../src/live/websocket-operations.js";
import { capturingLogger } from "./support/log-lines.js";
import { type Stack, startStack } from "./support/stack.js";
import { bearer, demoProjects, type RestJob, scopedCallers } from "./support/tokens.js";
import { rawSocket, type WsClient, wsClient } from "./support/ws.js";

/**
 * GraphQL over WebSocket (src/live/websocket.ts) on real sockets, with graphql-ws's own client:
 * the same gate, pipeline and limits as HTTP, counted in upstream calls; the socket's limits.
 * Shutdown of the real process is in test/websocket-shutdown.test.ts.
 */

const WATCH =
  "subscription Watch($ids: [ID!]!) { parseJobUpdates(ids: $ids) { id status projectId } }";
const PAGE = "{ parseJobs(first: 3) { edges { node { id projectId } } } }";
const FINISHED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const LIVE: Config["live"] = {
  statusPollMs: 250,
  maxSubscriptionsPerCaller: 20,
  webhookSecret: undefined,
};

let stack: Stack | undefined;
const clients: WsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await stack?.close();
  stack = undefined;
});

async function start(config: Partial<Config> = {}, logger = capturingLogger().logger) {
  stack = await startStack({ config: { live: LIVE, ...config }, logger });
  return stack;
}

function connect(params: Record<string, unknown> = {}): WsClient {
  const client = wsClient(stack?.wsUrl ?? "", params);
  clients.push(client);
  return client;
}

const watch = (ids: string[]): SubscribePayload => ({ query: WATCH, variables: { ids } });
const finished = (jobs: RestJob[]) => jobs.filter((job) => FINISHED.has(String(job.status)));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** The one `next` a finished job's subscription sends. */
const update = (job: RestJob | undefined) => ({
  data: { parseJobUpdates: { id: job?.id, status: job?.status, projectId: job?.project_id } },
});
const codeOf = (errors?: Array<{ extensions?: Record<string, unknown> }>) =>
  errors?.[0]?.extensions?.code;

describe("operations over WebSocket, served with the server's key", () => {
  it("answers a query as HTTP does, with one upstream call each", async () => {
    const { demo, query } = await start();
    const overHttp = await query(PAGE);
    expect(demo.listCalls()).toBe(1);
    demo.reset();
    const overWs = await connect().run({ query: PAGE });
    expect(overWs).toEqual({ results: [{ data: overHttp.data }], completed: true });
    expect(demo.listCalls()).toBe(1);
  });

  it("streams a subscription: each job's state at once, each change, then completion", async () => {
    const { demo } = await start();
    const now = new Date().toISOString();
    const json = { id: "pjb-ws-1", project_id: "prj-ws", status: "PENDING", created_at: now };
    demo.addJobs([{ json, organizationId: "org-ws" }]);
    const client = connect();
    // An id that does not exist counts as finished: it sends nothing and holds nothing open.
    const stream = client.start(watch(["pjb-ws-1", "pjb-ws-missing"]));
    const job = (status: string) => ({
      data: { parseJobUpdates: { id: "pjb-ws-1", status, projectId: "prj-ws" } },
    });
    expect(await stream.next()).toEqual(job("PENDING"));
    demo.updateJob("pjb-ws-1", { status: "RUNNING", updated_at: new Date().toISOString() });
    expect(await stream.next()).toEqual(job("RUNNING"));
    demo.updateJob("pjb-ws-1", { status: "COMPLETED", updated_at: new Date().toISOString() });
    expect(await stream.next()).toEqual(job("COMPLETED"));
    expect(await stream.next()).toBeNull();
    expect((await stream.outcome).completed).toBe(true);
    // Every call was a read of the watched ids, with the server's key.
    expect(
      demo.requests.every(
        (r) => r.query.has("job_ids") && r.authorization === `Bearer ${DEMO_KEY}`,
      ),
    ).toBe(true);
  });
});

describe("pass-through: the key in connection_init is the upstream's credential", () => {
  it("a wrong key gets an error and no job; none gets UNAUTHENTICATED with no call", async () => {
    const { demo } = await start({ apiKey: undefined });
    const [job] = finished((await demoProjects(demo)).all);
    const ids = [String(job?.id)];
    const wrong = connect({ authorization: "Bearer llx-wrong-key-0123" });
    const refused = await wrong.run(watch(ids));
    expect(refused.results).toHaveLength(1);
    expect(refused.results[0]?.data ?? null).toBeNull();
    expect(codeOf(refused.results[0]?.errors)).toBe("UNAUTHENTICATED");
    expect(demo.requests.map((r) => r.authorization)).toEqual(["Bearer llx-wrong-key-0123"]);
    expect(wrong.received.join("\n")).not.toContain("llx-wrong-key-0123");
    demo.reset();

    const none = await connect().run(watch(ids));
    expect(codeOf(none.results[0]?.errors)).toBe("UNAUTHENTICATED");
    expect(demo.listCalls()).toBe(0);

    // The right key, spelt as a header would be, reaches LlamaCloud as the credential.
    const right = connect({ Authorization: `Bearer ${DEMO_KEY}` });
    const served = await right.run(watch(ids));
    expect(served.results).toEqual([update(job)]);
    expect(demo.requests.map((r) => r.authorization)).toEqual([`Bearer ${DEMO_KEY}`]);
    expect(right.received.join("\n")).not.toContain(DEMO_KEY);
  });
});

describe("caller authentication, per operation", () => {
  it("refuses no token and bad tokens with UNAUTHENTICATED and no upstream call", async () => {
    const { logger, lines } = capturingLogger();
    const { demo } = await start({ callers: scopedCallers() }, logger);
    demo.reset();
    const forged = await bearer("user-1", ["any"], "another-secret-of-32-bytes-length!!");
    for (const params of [{}, { authorization: "Bearer not-a-jwt" }, forged]) {
      const client = connect(params);
      for (const payload of [watch(["pjb-x"]), { query: PAGE }]) {
        const outcome = await client.run(payload);
        expect(outcome.results).toEqual([]);
        expect(codeOf(outcome.errors)).toBe("UNAUTHENTICATED");
      }
      // A refusal ends the operation, not the connection.
      expect(client.closes).toEqual([]);
    }
    expect(demo.listCalls()).toBe(0);
    const token = String(forged.authorization).slice("Bearer ".length);
    expect(lines.join("\n")).not.toContain(token);
    expect(clients.flatMap((client) => client.received).join("\n")).not.toContain(token);
  });

  it("shows a scoped caller only its projects' jobs", async () => {
    const { demo } = await start({ callers: scopedCallers() });
    const { projects, jobsOf } = await demoProjects(demo);
    const [mine, theirs] = projects.map((project) => finished(jobsOf.get(project) ?? [])[0]);
    const client = connect(await bearer("user-1", [mine?.project_id]));
    const outcome = await client.run(watch([String(mine?.id), String(theirs?.id)]));
    expect(outcome.results).toEqual([update(mine)]);
    expect(outcome.completed).toBe(true);
    const page = await client.run<{ parseJobs: { edges: Array<{ node: { projectId: string } }> } }>(
      { query: PAGE },
    );
    const seen = page.results[0]?.data?.parseJobs.edges.map((edge) => edge.node.projectId);
    expect(new Set(seen)).toEqual(new Set([mine?.project_id]));
  });

  it("counts each operation in the rate limit", async () => {
    const { demo } = await start({ callers: scopedCallers({ rateLimitPerMinute: 2 }) });
    const { projects } = await demoProjects(demo);
    const client = connect(await bearer("user-1", projects.slice(0, 1)));
    const outcomes = [];
    for (let n = 0; n < 3; n++) outcomes.push(await client.run({ query: PAGE }));
    expect(outcomes.map((outcome) => outcome.results[0]?.errors)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(outcomes.map((outcome) => outcome.completed)).toEqual([true, true, false]);
    expect(codeOf(outcomes[2]?.errors)).toBe("RATE_LIMITED");
    expect(demo.listCalls()).toBe(2);
  });
});

describe("trusted documents in production", () => {
  it("refuses free text over WebSocket too, and runs documents named by id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ws-trusted-"));
    const manifest = join(dir, "manifest.json");
    writeFileSync(manifest, JSON.stringify({ [sha256(PAGE)]: PAGE, [sha256(WATCH)]: WATCH }));
    const callers = {
      ...loadConfig({}).callers,
      persistedDocuments: [manifest],
      persistedDocumentsOnly: true,
    };
    const { demo } = await start({ callers, production: true });
    const [job] = finished((await demoProjects(demo)).all);
    const client = connect();
    const text = await client.run({ query: PAGE });
    expect(codeOf(text.errors)).toBe("PERSISTED_QUERY_ONLY");
    expect(demo.listCalls()).toBe(0);
    const byId = await client.run({ query: "", documentId: sha256(PAGE) } as SubscribePayload);
    expect(byId.results[0]?.errors).toBeUndefined();
    expect(demo.listCalls()).toBe(1);
    const persisted = { persistedQuery: { version: 1, sha256Hash: sha256(WATCH) } };
    const watched = await client.run({
      query: "",
      extensions: persisted,
      variables: { ids: [job?.id] },
    });
    expect(watched.results).toEqual([update(job)]);
  });
});

describe("the socket and its limits", () => {
  it("upgrades /graphql only, for no Origin, the same origin or one CORS_ORIGINS allows", async () => {
    const { wsUrl } = await start({ corsOrigins: ["https://app.example"] });
    const host = new URL(wsUrl).host;
    await expect(rawSocket(wsUrl.replace("/graphql", "/other"))).rejects.toThrow("refused: 404");
    await expect(rawSocket(wsUrl, { origin: "https://evil.example" })).rejects.toThrow(
      "refused: 403",
    );
    const allowed: Array<Record<string, string>> = [
      {},
      { origin: `http://${host}` },
      { origin: "https://app.example" },
    ];
    for (const headers of allowed) (await rawSocket(wsUrl, headers)).socket.close();
  });

  it("closes a socket whose message is over MAX_BODY_BYTES (1009) or that never says connection_init (4408)", async () => {
    const { wsUrl } = await start({ maxBodyBytes: 1000, headersTimeoutMs: 100 });
    const big = await rawSocket(wsUrl);
    big.send({ type: "connection_init" });
    expect(await big.take()).toEqual({ type: "connection_ack" });
    big.send({ type: "ping", payload: { padding: "x".repeat(1000) } });
    expect((await big.closed).code).toBe(1009);
    const silent = await rawSocket(wsUrl);
    expect((await silent.closed).code).toBe(4408);
  });

  it("counts connections against MAX_CONNECTIONS, and in /metrics", async () => {
    const { wsUrl, runtime } = await start({ maxConnections: 2 });
    const open = await rawSocket(wsUrl);
    // Read off the registry: a GET /metrics would hold a connection of its own.
    expect(await runtime.metrics.registry.metrics()).toMatch(/^graphql_websocket_connections 1$/m);
    await rawSocket(wsUrl);
    await expect(rawSocket(wsUrl)).rejects.toThrow();
    open.socket.close();
  });

  it(`runs at most ${MAX_OPERATIONS_PER_CONNECTION} operations at once on one connection`, async () => {
    const { demo } = await start({ live: { ...LIVE, maxSubscriptionsPerCaller: 1000 } });
    const json = {
      id: "pjb-ws-held",
      project_id: "prj-ws",
      status: "RUNNING",
      created_at: new Date().toISOString(),
    };
    demo.addJobs([{ json, organizationId: "org-ws" }]);
    const client = connect();
    const held = Array.from({ length: MAX_OPERATIONS_PER_CONNECTION }, () =>
      client.start(watch(["pjb-ws-held"])),
    );
    await Promise.all(held.map((stream) => stream.next()));
    const over = await client.run(watch(["pjb-ws-held"]));
    expect(codeOf(over.errors)).toBe("TOO_MANY_OPERATIONS");
    for (const stream of held) stream.stop();
  });
});
