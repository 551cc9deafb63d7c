/**
 * The spans of the gateway's own work below a request: each upstream attempt (CLIENT), each
 * DataLoader batch, each upstream call joined in flight, each status-poll read. Every helper hands
 * the work back untouched when tracing is off. Attributes are counts, sizes and codes: never a
 * URL's query (the caller's filters and ids), a header, a variable or an error message.
 */
import type * as Api from "@opentelemetry/api";
import { activeTracing, errorCode, markFailed, runInSpan } from "./state.js";

/** The span of one HTTP attempt to LlamaCloud (src/upstream/client.ts). */
export interface AttemptSpan {
  /** `headers` plus this attempt's `traceparent`, so LlamaCloud's side joins the trace. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string>;
  /**
   * Ends it: `outcome` is the status, or why none came (`timeout`, `connection`…); `retried` says
   * another attempt follows (its reason is recorded); `error` is what the call failed with when
   * this attempt was its last.
   */
  end(outcome: number | string, retried: boolean, error?: unknown): void;
}

/** Starts the CLIENT span of one attempt at `url`, child of the active span; undefined when off. */
export function upstreamAttemptSpan(url: URL, attempt: number): AttemptSpan | undefined {
  const on = activeTracing();
  if (on === undefined) return undefined;
  const { api } = on;
  const query = url.searchParams;
  const span = on.tracer.startSpan("GET /api/v2/parse", {
    kind: api.SpanKind.CLIENT,
    attributes: {
      "http.request.method": "GET",
      "server.address": url.hostname,
      "server.port": Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      "url.path": url.pathname,
      "url.template": "/api/v2/parse",
      "http.request.resend_count": attempt,
      "llamacloud.page_size": Number(query.get("page_size")),
      "llamacloud.job_ids.count": query.getAll("job_ids").length,
      "llamacloud.page_token.present": query.has("page_token"),
    },
  });
  return {
    headers(headers) {
      const sent = { ...headers };
      api.propagation.inject(api.trace.setSpan(api.context.active(), span), sent);
      return sent;
    },
    end(outcome, retried, error) {
      if (typeof outcome === "number") span.setAttribute("http.response.status_code", outcome);
      if (retried) {
        const reason = typeof outcome === "number" ? `status ${outcome}` : outcome;
        span.setAttribute("llamacloud.retry.reason", reason);
      }
      if (error !== undefined) markFailed(on, span, errorCode(error));
      else if (typeof outcome !== "number" || outcome >= 400) markFailed(on, span, String(outcome));
      span.end();
    },
  };
}

/**
 * Runs one DataLoader batch of `ids` lookups in a span: `run` is handed `list` (counted, so the
 * span says how many upstream calls the batch made) and its results' first Error is recorded.
 */
export function traceLookupBatch<A extends unknown[], R, T>(
  ids: number,
  list: (...args: A) => Promise<R>,
  run: (list: (...args: A) => Promise<R>) => Promise<Array<T | Error>>,
): Promise<Array<T | Error>> {
  const on = activeTracing();
  if (on === undefined) return run(list);
  const parent = on.api.context.active();
  const span = on.tracer.startSpan("lookup batch", { attributes: { "gateway.lookup.ids": ids } });
  let calls = 0;
  const counted = (...args: A): Promise<R> => {
    calls++;
    return list(...args);
  };
  return runInSpan(on, span, parent, async () => {
    const results = await run(counted);
    span.setAttribute("gateway.lookup.calls", calls);
    noteFailures(on, span, results);
    return results;
  });
}

/** Where a shared upstream call began: the span active then, linked from each joiner's span. */
export type CallOrigin = Api.SpanContext | undefined;

/** The active span's context, for a call starting now; undefined when tracing is off. */
export function callOrigin(): CallOrigin {
  return activeTracing()?.api.trace.getActiveSpan()?.spanContext();
}

/**
 * A span for a request that joined an upstream call in flight instead of sending its own
 * (src/upstream/shared-calls.ts): it lasts as long as the request waits, and links to the span
 * that started the call, which holds the call's CLIENT spans.
 */
export function traceJoinedCall<T>(origin: CallOrigin, result: Promise<T>): Promise<T> {
  const on = activeTracing();
  if (on === undefined) return result;
  const span = on.tracer.startSpan("join upstream call", {
    links: origin === undefined ? [] : [{ context: origin }],
  });
  return runInSpan(on, span, on.api.context.active(), () => result);
}

/**
 * A span for one read of the live status poll (src/live/read.ts). A root span of its own trace:
 * a poll serves every subscriber of a caller and outlives the request that started it, whose
 * trace it would otherwise join (timers carry the context they were set in).
 */
export function traceStatusRead<T>(
  reason: string,
  ids: number,
  requestId: string,
  run: () => Promise<Array<T | Error>>,
): Promise<Array<T | Error>> {
  const on = activeTracing();
  if (on === undefined) return run();
  const span = on.tracer.startSpan("status poll read", {
    root: true,
    attributes: {
      "gateway.live.reason": reason,
      "gateway.live.ids": ids,
      "gateway.request_id": requestId,
    },
  });
  return runInSpan(on, span, on.api.ROOT_CONTEXT, async () => {
    const results = await run();
    noteFailures(on, span, results);
    return results;
  });
}

/** Records the first failure among per-id results (the code), and how many ids failed. */
function noteFailures(
  on: NonNullable<ReturnType<typeof activeTracing>>,
  span: Api.Span,
  results: ReadonlyArray<unknown>,
): void {
  let failed = 0;
  let first: unknown;
  for (const result of results) {
    if (!(result instanceof Error)) continue;
    failed++;
    first ??= result;
  }
  if (failed === 0) return;
  span.setAttribute("gateway.failed_ids", failed);
  markFailed(on, span, errorCode(first));
}
