import { createHash } from "node:crypto";
import { trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { createLogger } from "../src/observability/logging.js";
import { CSRF_HEADER } from "../src/server/run-mode.js";
import { readTracingConfig, startTracing, type Tracing } from "../src/tracing/index.js";
import {
  CLIENT,
  callerTrace,
  type OtlpReceiver,
  onlySpan,
  SERVER,
  startOtlpReceiver,
} from "./support/otlp-receiver.js";
import { type GraphQLAnswer, type Stack, startStack } from "./support/stack.js";
import { wsClient } from "./support/ws.js";

const PAGE = "query TracedPage { parseJobs(first: 5) { edges { node { id } } } }";
/** A variable value that goes upstream (as `job_ids`) and must reach no span. */
const SECRET_VARIABLE = "pjb-variable-secret-7f3a";
const COLLECTOR_KEY = "collector-key-5b1e9c";
const CALLER_KEY = "llx-caller-key-3Hq8Wd";

describe("with no OTEL endpoint", () => {
  it("starts nothing, exports nothing and sends no traceparent upstream", async () => {
    const receiver = await startOtlpReceiver();
    const lines: string[] = [];
    const logger = createLogger(
      { logLevel: "debug", logFormat: "json" },
      { write: (line) => lines.push(line) },
    );
    // Everything but the endpoint: still off.
    const config = readTracingConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "x",
    });
    expect(config.endpoint).toBeUndefined();
    const tracing = await startTracing(config, logger);
    const stack = await startStack({ config: { tracing: config }, logger });
    try {
      const answer = await stack.query(PAGE, undefined, { traceparent: callerTrace().traceparent });
      expect(answer.errors).toBeUndefined();
      await tracing.flush();
      expect(stack.demo.requests.length).toBeGreaterThan(0);
      expect(stack.demo.requests.map((request) => request.traceparent)).toEqual(
        stack.demo.requests.map(() => undefined),
      );
      expect(lines.join("")).not.toMatch(/trace_id|Tracing:/);
      expect(receiver.exports).toEqual([]);
      // No SDK is registered: the API's tracer is its no-op one.
      expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
    } finally {
      await stack.close();
      await tracing.shutdown();
      await receiver.close();
    }
  });
});

describe("with an OTLP endpoint (http/protobuf, the default)", () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let stack: Stack;
  const lines: string[] = [];
  const logger = createLogger(
    { logLevel: "debug", logFormat: "json" },
    { write: (line) => lines.push(line) },
  );

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const config = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-collector-key=${COLLECTOR_KEY}`,
    });
    tracing = await startTracing(config, logger);
    // Every request runs and calls for itself: each test's spans are its own.
    stack = await startStack({
      config: { tracing: config, deduplicateUpstream: false, shareExecutions: false },
      logger,
    });
  });
  afterAll(async () => {
    await stack.close();
    await tracing.shutdown();
    await receiver.close();
  });

  /**
   * Sends `query` in a fresh caller trace, as a JSON POST (the direct path) or a GET (Yoga's
   * adapter); the spans exported in it, once flushed.
   */
  async function traced(
    query: string,
    variables?: Record<string, unknown>,
    via: "direct path" | "adapter" = "direct path",
  ) {
    const caller = callerTrace();
    const headers = { traceparent: caller.traceparent, tracestate: "caller=1" };
    const answer =
      via === "direct path"
        ? await stack.query(query, variables, headers)
        : ((await (
            await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent(query)}`, {
              headers: { ...headers, accept: "application/json", [CSRF_HEADER]: "1" },
            })
          ).json()) as GraphQLAnswer<unknown>);
    await tracing.flush();
    return {
      answer,
      caller,
      spans: receiver.spans.filter((span) => span.traceId === caller.traceId),
    };
  }

  it.each(["direct path", "adapter"] as const)(
    "a page query (%s): the server span continues the caller's trace, the client span goes under it",
    async (via) => {
      const { answer, caller, spans } = await traced(PAGE, undefined, via);
      expect(answer.errors).toBeUndefined();
      const server = onlySpan(spans, (span) => span.kind === SERVER);
      expect(server).toMatchObject({ parentSpanId: caller.parentId, name: "query TracedPage" });
      expect(server.attributes).toMatchObject({
        "graphql.operation.type": "query",
        "graphql.operation.name": "TracedPage",
        "graphql.document.hash": createHash("sha256").update(PAGE).digest("hex"),
        "http.response.status_code": 200,
      });
      expect(server.resource["service.name"]).toBe("parse-jobs-graphql");
      const client = onlySpan(spans, (span) => span.kind === CLIENT);
      const sent = stack.demo.requests.at(-1);
      expect(client.parentSpanId).toBe(server.spanId);
      expect(client.attributes).toMatchObject({
        "http.request.method": "GET",
        "url.path": "/api/v2/parse",
        "http.response.status_code": 200,
        "http.request.resend_count": 0,
        "llamacloud.page_size": Number(sent?.query.get("page_size")),
        "llamacloud.job_ids.count": 0,
      });
      // LlamaCloud's side sees the same trace, the client span as its parent.
      expect(sent?.traceparent).toBe(`00-${caller.traceId}-${client.spanId}-01`);
      // The access-log line and the upstream-call line carry the trace.
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records).toContainEqual(
        expect.objectContaining({
          msg: "request",
          trace_id: caller.traceId,
          span_id: server.spanId,
        }),
      );
      expect(records).toContainEqual(
        expect.objectContaining({ msg: "upstream call", trace_id: caller.traceId }),
      );
    },
  );

  it("a lookup batch: server span, batch span, one client span for all its ids", async () => {
    const ids = (
      await stack.query<{ parseJobs: { edges: Array<{ node: { id: string } }> } }, undefined>(PAGE)
    ).data?.parseJobs.edges.map((edge) => edge.node.id);
    const { answer, spans } = await traced(
      "query TracedLookups($a: ID!, $b: ID!, $c: ID!) { a: parseJob(id: $a) { id } b: parseJob(id: $b) { id } c: parseJob(id: $c) { id } }",
      { a: ids?.[0], b: ids?.[1], c: SECRET_VARIABLE },
    );
    expect(answer.errors).toBeUndefined();
    const server = onlySpan(spans, (span) => span.kind === SERVER);
    const batch = onlySpan(spans, (span) => span.name === "lookup batch");
    expect(batch.parentSpanId).toBe(server.spanId);
    expect(batch.attributes).toMatchObject({ "gateway.lookup.ids": 3, "gateway.lookup.calls": 1 });
    const client = onlySpan(spans, (span) => span.kind === CLIENT);
    expect(client.parentSpanId).toBe(batch.spanId);
    expect(client.attributes["llamacloud.job_ids.count"]).toBe(3);
  });

  it("a failing upstream call: one client span per attempt, the retry reasons, the final code", async () => {
    stack.demo.inject({ status: 503, times: 3 });
    const { answer, spans } = await traced(
      "query TracedFailure { parseJobs(first: 2) { edges { node { id } } } }",
    );
    const code = answer.errors?.[0]?.extensions?.code;
    expect(code).toBe("UPSTREAM_UNAVAILABLE");
    const server = onlySpan(spans, (span) => span.kind === SERVER);
    expect(server.attributes["graphql.error.codes"]).toEqual([code]);
    expect(server.status).toEqual({ code: 2, message: code });
    const attempts = spans.filter((span) => span.kind === CLIENT);
    attempts.sort(
      (a, b) =>
        Number(a.attributes["http.request.resend_count"]) -
        Number(b.attributes["http.request.resend_count"]),
    );
    expect(
      attempts.map((span) => [span.parentSpanId, span.attributes["http.response.status_code"]]),
    ).toEqual([
      [server.spanId, 503],
      [server.spanId, 503],
      [server.spanId, 503],
    ]);
    expect(attempts.map((span) => span.attributes["llamacloud.retry.reason"])).toEqual([
      "status 503",
      "status 503",
      undefined,
    ]);
    expect(attempts.map((span) => span.attributes["error.type"])).toEqual(["503", "503", code]);
    expect(attempts[2]?.status).toEqual({ code: 2, message: code });
  });

  it("an operation over WebSocket gets its server span too", async () => {
    const ws = wsClient(stack.wsUrl);
    try {
      const outcome = await ws.run({
        query: "query TracedOverWs { parseJobs(first: 1) { edges { node { id } } } }",
      });
      expect(outcome.completed).toBe(true);
    } finally {
      await ws.dispose();
    }
    await tracing.flush();
    const server = onlySpan(receiver.spans, (span) => span.name === "query TracedOverWs");
    expect(server.kind).toBe(SERVER);
    expect(
      receiver.spans.filter((span) => span.parentSpanId === server.spanId).map((span) => span.kind),
    ).toEqual([CLIENT]);
  });

  it("exports with the configured headers, and never a key, token or variable", async () => {
    // A caller's own key goes upstream in its stead (and LlamaCloud refuses it): in no span either.
    const refused = await stack.query(PAGE, undefined, { authorization: `Bearer ${CALLER_KEY}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await tracing.flush();
    expect(receiver.exports.length).toBeGreaterThan(0);
    for (const { body, headers } of receiver.exports) {
      expect(headers["x-collector-key"]).toBe(COLLECTOR_KEY);
      expect(headers["content-type"]).toBe("application/x-protobuf");
      for (const secret of [DEMO_KEY, CALLER_KEY, "Bearer", SECRET_VARIABLE, COLLECTOR_KEY])
        expect(body).not.toContain(secret);
    }
    expect(lines.join("")).not.toContain(COLLECTOR_KEY);
    // The tracing plugin's HTTP-level hooks are the direct path's own: it stays on.
    expect(lines.join("")).not.toContain("direct path off");
  });
});
