import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { createLogger, withoutCredentials } from "../src/observability/logging.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

/** The value of one sample line of the Prometheus text format, e.g. `name{label="x"}`. */
function sample(metrics: string, line: string): number | undefined {
  const found = metrics.split("\n").find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function get(stack: Stack, path: string) {
  const response = await fetch(new URL(path, stack.gatewayUrl));
  return { status: response.status, body: await response.text() };
}

const PAGE = `query Recent { parseJobs(first: 5) { edges { node { id } } } }`;

describe("metrics", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // Names earn their label by recurring (see the next block): these two have earned theirs.
    for (let i = 0; i < 3; i++) {
      await stack.query("query Recent { __typename }");
      await stack.query("query Pinned { __typename }");
    }
  });
  afterAll(() => stack.close());

  it("counts every upstream call by status, its retries, durations and loader batches", async () => {
    const ids = (await restListing(stack.demo)).slice(0, 3).map((job) => String(job.id));
    stack.demo.reset();
    expect((await stack.query(PAGE)).errors).toBeUndefined(); // 200
    stack.demo.inject({ status: 503 });
    expect((await stack.query(PAGE)).errors).toBeUndefined(); // 503, then 200 on the retry
    const refused = await stack.query(PAGE, undefined, { authorization: "Bearer not-a-key" });
    expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED"); // 401
    const lookups = ids.map((id, i) => `j${i}: parseJob(id: "${id}") { id }`).join(" ");
    expect((await stack.query(`query Pinned { ${lookups} }`)).errors).toBeUndefined(); // 200
    expect(stack.demo.listCalls()).toBe(5);

    const { status, body } = await get(stack, "/metrics");
    expect(status).toBe(200);
    expect(sample(body, 'upstream_requests_total{status="200"}')).toBe(3);
    expect(sample(body, 'upstream_requests_total{status="503"}')).toBe(1);
    expect(sample(body, 'upstream_requests_total{status="401"}')).toBe(1);
    expect(sample(body, "upstream_retries_total")).toBe(1);
    expect(sample(body, 'upstream_request_duration_seconds_count{status="200"}')).toBe(3);
    expect(sample(body, "loader_batch_size_count")).toBe(1);
    expect(sample(body, "loader_batch_size_sum")).toBe(3);
    // One each from the warm-up above: its third run, which claimed the label.
    const recent = 'operation_type="query",operation_name="Recent"';
    expect(sample(body, `graphql_operations_total{${recent}}`)).toBe(4);
    expect(sample(body, `graphql_operation_errors_total{${recent}}`)).toBe(1);
    expect(sample(body, `graphql_operation_duration_seconds_count{${recent}}`)).toBe(4);
    const pinned = 'operation_type="query",operation_name="Pinned"';
    expect(sample(body, `graphql_operations_total{${pinned}}`)).toBe(2);
    expect(sample(body, `graphql_operation_errors_total{${pinned}}`)).toBeUndefined();
    expect(sample(body, 'http_request_duration_seconds_count{route="/graphql",status="200"}')).toBe(
      10,
    );
  });

  it("includes Node's process metrics: memory, CPU, event-loop lag and GC", async () => {
    const { body } = await get(stack, "/metrics");
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(sample(body, name), name).toBeGreaterThan(0);
    }
    expect(body).toContain("# TYPE nodejs_gc_duration_seconds histogram");
  });
});

describe("health and readiness", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { readinessCacheMs: 0, maxRetries: 0 } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("is alive without asking the upstream", async () => {
    expect((await get(stack, "/health")).status).toBe(200);
    expect(stack.demo.requests).toHaveLength(0);
  });

  it("turns unready while the upstream fails and ready again when it answers", async () => {
    expect((await get(stack, "/readiness")).status).toBe(200);
    stack.demo.inject({ status: 503 });
    expect((await get(stack, "/readiness")).status).toBe(503);
    stack.demo.inject({ hangUp: true });
    expect((await get(stack, "/readiness")).status).toBe(503);
    expect((await get(stack, "/readiness")).status).toBe(200);
    expect(stack.demo.requests).toHaveLength(4);
  });
});

describe("readiness caching", () => {
  it("counts a 401 as an answer and reuses a verdict instead of asking again", async () => {
    const stack = await startStack({ config: { apiKey: undefined, readinessCacheMs: 60_000 } });
    try {
      for (let i = 0; i < 5; i++) expect((await get(stack, "/readiness")).status).toBe(200);
      const probes = stack.demo.requests;
      expect(probes).toHaveLength(1);
      expect(probes[0]?.authorization).toBeUndefined();
    } finally {
      await stack.close();
    }
  });

  it("learns from real traffic without probing", async () => {
    const stack = await startStack({ config: { readinessCacheMs: 60_000, maxRetries: 0 } });
    try {
      stack.demo.inject({ status: 502 });
      await stack.query(PAGE);
      expect((await get(stack, "/readiness")).status).toBe(503);
      expect(stack.demo.requests).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});

describe("structured logs and request ids", () => {
  const lines: string[] = [];
  let stack: Stack;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    stack = await startStack({ logger: pino({ level: "debug" }, sink) });
  });
  afterAll(() => stack.close());

  it("carries the caller's request id to the upstream, the response and every log line", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-42" },
      body: JSON.stringify({ query: PAGE }),
    });
    expect(response.headers.get("x-request-id")).toBe("req-42");
    expect(stack.demo.requests.map((request) => request.requestId)).toEqual(["req-42"]);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({ msg: "upstream call", requestId: "req-42", upstreamStatus: 200 }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ msg: "request", requestId: "req-42", status: 200 }),
    );
  });

  it("makes up an id when the caller sent none (or an unusable one), and never logs the key", async () => {
    stack.demo.reset();
    await stack.query(PAGE, undefined, { "x-request-id": "bad id\twith spaces" });
    const sent = stack.demo.requests[0]?.requestId;
    expect(sent).toMatch(/^[0-9a-f-]{36}$/);
    const all = lines.join("\n");
    expect(all).not.toContain(DEMO_KEY);
    expect(all).not.toMatch(/bearer/i);
  });
});

describe("the log line of a failed connection", () => {
  it("names the error code and the upstream host", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    const stack = await startStack({
      logger: pino({ level: "debug" }, sink),
      config: { baseUrl: "http://127.0.0.1:9", maxRetries: 0 },
    });
    try {
      const answer = await stack.query(PAGE);
      expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      await stack.close();
    }
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: "upstream call",
        level: 40,
        upstreamStatus: "connection",
        cause: "ECONNREFUSED",
        upstreamHost: "127.0.0.1:9",
      }),
    );
  });
});

describe("LOG_FORMAT=pretty", () => {
  it("writes one readable line per record, with its fields as key=value, and never the key", async () => {
    let written = "";
    const config = loadConfig({ LOG_FORMAT: "pretty", LOG_LEVEL: "debug" }, false);
    const logger = createLogger(config, { write: (chunk: string) => (written += chunk) });
    const stack = await startStack({ logger });
    try {
      const answer = await stack.query(PAGE, undefined, {
        "x-request-id": "req-pretty",
        authorization: `Bearer ${DEMO_KEY}`,
      });
      expect(answer.errors).toBeUndefined();
      // A record that names the credential itself: the pretty format must not bring it back.
      logger.warn({ authorization: `Bearer ${DEMO_KEY}`, detail: "two words" }, "first\nsecond");
    } finally {
      await stack.close();
    }

    const lines = written.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/);
      expect(() => JSON.parse(line)).toThrow();
    }
    expect(lines).toContainEqual(
      expect.stringMatching(
        / INFO {2}request requestId=req-pretty method=POST path=\/graphql status=200 durationMs=\d+/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/ DEBUG upstream call requestId=req-pretty upstreamStatus=200 /),
    );
    // The message stays on its line; a value with a space is quoted so it reads as one value.
    expect(lines).toContainEqual(
      expect.stringMatching(/ WARN {2}first\\nsecond detail="two words"$/),
    );
    expect(written).not.toContain(DEMO_KEY);
    expect(written).not.toMatch(/bearer/i);
  });
});

describe("withoutCredentials (the logger's second lock)", () => {
  it("drops credential keys at the top and one level down, and copies only then", () => {
    const clean = { msg: "request", requestId: "r", nested: { status: 200 } };
    expect(withoutCredentials(clean)).toBe(clean);
    const record = {
      msg: "x",
      authorization: "Bearer k",
      req: { headers: { authorization: "Bearer k" }, method: "GET" },
    };
    expect(withoutCredentials(record)).toEqual({ msg: "x", req: { method: "GET" } });
    // The caller's object is left as it was.
    expect(record.authorization).toBe("Bearer k");
  });
});
