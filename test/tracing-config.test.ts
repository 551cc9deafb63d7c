import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import { DEMO_KEY, startDemoUpstream } from "../src/demo-upstream/server.js";
import { readTracingConfig } from "../src/tracing/index.js";
import {
  CLIENT,
  callerTrace,
  onlySpan,
  SERVER,
  startOtlpReceiver,
} from "./support/otlp-receiver.js";
import { listeningUrl, spawnLogged, waitFor } from "./support/spawned.js";

/**
 * Tracing as an operator meets it: `npm start`'s entry point with the OTEL_* variables, and what
 * those variables may hold. The span trees themselves are test/tracing.test.ts's.
 */

const PAGE = "query TracedPage { parseJobs(first: 5) { edges { node { id } } } }";

describe("npm start with OTEL_* (http/json)", () => {
  it("traces a request sent with a traceparent, flushes on SIGTERM, and LlamaCloud sees the trace", async () => {
    const receiver = await startOtlpReceiver();
    const demo = await startDemoUpstream();
    const started = spawnLogged(process.execPath, ["--import", "tsx", "src/index.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        LLAMA_CLOUD_BASE_URL: demo.url,
        LLAMA_CLOUD_API_KEY: DEMO_KEY,
        SHUTDOWN_DRAIN_MS: "0",
        LLAMA_CLOUD_MAX_RETRIES: "1",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      },
    });
    try {
      // A loaded machine (the whole suite at once) can take a while to start a tsx process.
      const url = await listeningUrl(started, 45_000);
      demo.inject({ status: 502, times: 1 });
      const caller = callerTrace();
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: caller.traceparent },
        body: JSON.stringify({ query: PAGE }),
      });
      expect(answer.status).toBe(200);
      started.child.kill("SIGTERM");
      await once(started.child, "exit");
      await waitFor(
        () => receiver.spans.some((span) => span.traceId === caller.traceId),
        "the spans",
      );
      const spans = receiver.spans.filter((span) => span.traceId === caller.traceId);
      const server = onlySpan(spans, (span) => span.kind === SERVER);
      expect(server.parentSpanId).toBe(caller.parentId);
      const statuses = spans
        .filter((span) => span.kind === CLIENT)
        .map((span) => span.attributes["http.response.status_code"]);
      expect(statuses.sort()).toEqual([200, 502]);
      expect(demo.requests.map((request) => request.traceparent?.split("-")[1])).toEqual([
        caller.traceId,
        caller.traceId,
      ]);
      expect(
        receiver.exports.every(({ headers }) => headers["content-type"] === "application/json"),
      ).toBe(true);
    } finally {
      started.kill();
      await demo.close();
      await receiver.close();
    }
  }, 60_000);
});

describe("OTEL_* configuration", () => {
  it("reads the standard variables", () => {
    expect(readTracingConfig({})).toEqual({
      endpoint: undefined,
      protocol: "http/protobuf",
      headers: {},
      serviceName: "parse-jobs-graphql",
      sampler: "parentbased_always_on",
      samplerRatio: 1,
    });
    const config = readTracingConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: "Api-Key=a%20b, x-other = c",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    });
    expect(config).toMatchObject({
      endpoint: "http://collector:4318/v1/traces",
      headers: { "api-key": "a b", "x-other": "c" },
      samplerRatio: 0.1,
    });
    const traces = "http://collector:4318/custom/path";
    expect(
      readTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://x",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces,
      }).endpoint,
    ).toBe(traces);
    expect(
      readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_SDK_DISABLED: "true" })
        .endpoint,
    ).toBeUndefined();
  });

  it.each([
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://user:hunter2@collector"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
    ["OTEL_EXPORTER_OTLP_HEADERS", "hunter2"],
    ["OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2%zz"],
    ["OTEL_TRACES_SAMPLER", "jaeger_remote"],
    ["OTEL_SDK_DISABLED", "maybe"],
  ])("refuses %s=%s, naming it and never echoing a secret", (name, value) => {
    expect(() => readTracingConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readTracingConfig({ [name]: value })).toThrow(name);
    expect(() => readTracingConfig({ [name]: value })).not.toThrow(/hunter2/);
  });

  it("refuses a ratio outside 0 to 1 for the ratio samplers only", () => {
    const ratio = { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "1.5" };
    expect(() => readTracingConfig(ratio)).toThrow("OTEL_TRACES_SAMPLER_ARG");
    expect(readTracingConfig({ ...ratio, OTEL_TRACES_SAMPLER: "always_on" }).samplerRatio).toBe(1);
  });
});
