import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/observability/logging.js";
import { readTracingConfig, startTracing, type Tracing } from "../src/tracing/index.js";
import { LIVE } from "./support/live.js";
import {
  CLIENT,
  callerTrace,
  type OtlpReceiver,
  onlySpan,
  type ReceivedSpan,
  SERVER,
  startOtlpReceiver,
} from "./support/otlp-receiver.js";
import { type Stack, startStack } from "./support/stack.js";
import { deliver, event, WEBHOOK_SECRET, watchNew } from "./support/webhooks.js";

/**
 * The spans of work beside a request's own: the live-status poll's reads, webhook deliveries,
 * and requests that join an upstream call in flight. The request's own span tree is
 * test/tracing.test.ts's.
 */

let receiver: OtlpReceiver;
let tracing: Tracing;
let stack: Stack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const config = readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  tracing = await startTracing(config, createLogger({ logLevel: "silent", logFormat: "json" }));
  stack = await startStack({
    config: {
      tracing: config,
      // No tick within the test: a tick due before the nudge's read would take its ids along.
      live: { ...LIVE, statusPollMs: 3_600_000, webhookSecret: WEBHOOK_SECRET },
      shareExecutions: false,
    },
  });
});
afterAll(async () => {
  await stack.close();
  await tracing.shutdown();
  await receiver.close();
});

/** Flushes until `spans` finds what it looks for (poll reads end on their own schedule). */
async function exported(find: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  for (let round = 0; round < 100 && !find(receiver.spans); round++) {
    await tracing.flush();
    if (!find(receiver.spans)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return receiver.spans;
}

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((span) => span.parentSpanId === parent.spanId);

describe("tracing the live status and shared calls", () => {
  it("a webhook delivery has its server span, and each poll read is a trace of its own", async () => {
    const { id, subscription } = await watchNew(stack, "traced");
    try {
      const caller = callerTrace();
      const url = new URL("/webhooks/llamacloud", stack.gatewayUrl);
      const delivered = await deliver(url, event(id), { traceparent: caller.traceparent });
      expect(delivered.status).toBe(202);
      const isNudge = (span: ReceivedSpan) => span.attributes["gateway.live.reason"] === "nudge";
      const spans = await exported((all) => all.some(isNudge));
      // Once more: a batch of spans still on its way is in by then.
      await tracing.flush();
      const webhook = onlySpan(spans, (span) => span.traceId === caller.traceId);
      expect(webhook).toMatchObject({ kind: SERVER, name: "POST /webhooks/llamacloud" });
      expect(webhook.parentSpanId).toBe(caller.parentId);
      expect(webhook.attributes).toMatchObject({
        "http.response.status_code": 202,
        "gateway.webhook.result": "accepted",
        "gateway.webhook.job_ids": 1,
      });
      // The first state's read and the nudged one: roots, each with its batch and its call.
      const reads = spans.filter((span) => span.name === "status poll read");
      const reasons = reads.map((read) => read.attributes["gateway.live.reason"]);
      expect(reasons).toEqual(expect.arrayContaining(["subscribe", "nudge"]));
      expect(reasons).not.toContain("tick");
      for (const read of reads) {
        expect(read.parentSpanId).toBeUndefined();
        expect(read.traceId).not.toBe(caller.traceId);
        expect(read.attributes["gateway.live.ids"]).toBe(1);
        const [batch] = childrenOf(spans, read);
        expect(batch?.name).toBe("lookup batch");
        const calls = childrenOf(spans, batch as ReceivedSpan);
        expect(calls.map((call) => call.kind)).toEqual([CLIENT]);
      }
    } finally {
      subscription.close();
    }
  });

  it("a request that joins an upstream call in flight: a span linked to the call's", async () => {
    // Two different queries needing the same call; the upstream is slow enough for both to meet.
    stack.demo.inject({ delayMs: 1000, times: 1 });
    const [first, second] = [callerTrace(), callerTrace()];
    await Promise.all([
      stack.query("query JoinA { parseJobs(first: 3) { edges { node { id } } } }", undefined, {
        traceparent: first.traceparent,
      }),
      stack.query("query JoinB { parseJobs(first: 3) { edges { cursor } } }", undefined, {
        traceparent: second.traceparent,
      }),
    ]);
    await tracing.flush();
    const traces = [first, second].map((caller) =>
      receiver.spans.filter((span) => span.traceId === caller.traceId),
    );
    // Whichever arrived first sent the call; the other joined it.
    const sender = traces.find((spans) => spans.some((span) => span.kind === CLIENT)) ?? [];
    const joiner = traces.find((spans) => spans !== sender) ?? [];
    expect(joiner.some((span) => span.kind === CLIENT)).toBe(false);
    const senderServer = onlySpan(sender, (span) => span.kind === SERVER);
    const joined = onlySpan(joiner, (span) => span.name === "join upstream call");
    expect(joined.parentSpanId).toBe(onlySpan(joiner, (span) => span.kind === SERVER).spanId);
    expect(joined.links).toEqual([{ traceId: senderServer.traceId, spanId: senderServer.spanId }]);
  });
});
