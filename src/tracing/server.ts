/**
 * SERVER spans: one per GraphQL request, continuing the caller's `traceparent`/`tracestate`.
 *
 * Over HTTP the span wraps the whole request, so that everything it does, the access-log line
 * included, runs with the span active: Yoga's adapter starts it in the plugin's `request`
 * instrumentation, and the direct path (src/server/direct-post.ts), which skips that layer,
 * starts it itself with `traceRequest`; that is why yoga.ts may mark the plugin
 * `handledByDirectPath`. An operation over WebSocket has no HTTP request around it: it gets its
 * span from the `execute`/`subscribe` instrumentation, which every transport runs. The operation
 * (type, name, a sha256 of the document) is read in `onExecute`/`onSubscribe`, and the result's
 * error codes in `onExecutionResult` (HTTP) or `onExecuteDone` (WebSocket). Never recorded:
 * variables, the document's text, headers, error messages.
 */
import { createHash } from "node:crypto";
import type * as Api from "@opentelemetry/api";
import { type DocumentNode, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import {
  type ActiveTracing,
  activeTracing,
  callerContext,
  errorCode,
  type HeaderCarrier,
  markFailed,
  runInSpan,
} from "./state.js";

const GRAPHQL_PATH = "/graphql";

/**
 * The direct path's request in its SERVER span; `answered` is its Node response, whose status
 * the span takes once `run` is over.
 */
export function traceRequest<T>(
  headers: HeaderCarrier,
  answered: { readonly statusCode: number },
  run: () => Promise<T>,
): Promise<T> {
  const on = activeTracing();
  if (on === undefined) return run();
  const { span, parent } = startServerSpan(on, headers, "POST");
  return runInSpan(on, span, parent, () =>
    run().finally(() => noteStatus(on, span, answered.statusCode)),
  );
}

/** The GraphQL server spans (see above); wired in only when tracing is configured. */
export function tracingPlugin(): Plugin {
  // The adapter's request spans, for `onResponse` to give them their status.
  const requestSpans = new WeakMap<Request, Api.Span>();
  // Spans of WebSocket operations, whose results `onExecuteDone` records.
  const operationSpans = new WeakSet<Api.Span>();
  const inOperationSpan = (
    context: { request?: Request },
    wrapped: () => Promise<void> | void,
  ): Promise<void> | void => {
    const on = activeTracing();
    // Over HTTP the request's span is active already: an operation adds none of its own.
    if (on === undefined || on.api.trace.getActiveSpan() !== undefined) return wrapped();
    const { span, parent } = startServerSpan(on, context.request?.headers ?? {}, undefined);
    operationSpans.add(span);
    return runInSpan(on, span, parent, async () => wrapped());
  };
  const noteOperation = (args: OperationArgs) => {
    const on = activeTracing();
    const span = on?.api.trace.getActiveSpan();
    if (on === undefined || span === undefined) return undefined;
    describeOperation(span, args);
    if (!operationSpans.has(span)) return undefined;
    return {
      onExecuteDone({ result }: { result: unknown }) {
        noteErrors(on, span, result);
      },
    };
  };
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const on = activeTracing();
        if (on === undefined || !isGraphqlPath(request.url)) return wrapped();
        const { span, parent } = startServerSpan(on, request.headers, request.method);
        requestSpans.set(request, span);
        return runInSpan(on, span, parent, async () => wrapped());
      },
      execute: ({ context }, wrapped) => inOperationSpan(context, wrapped),
      subscribe: ({ context }, wrapped) => inOperationSpan(context, wrapped),
    },
    onExecute: ({ args }) => noteOperation(args),
    onSubscribe: ({ args }) => {
      noteOperation(args);
    },
    onExecutionResult({ result }) {
      const on = activeTracing();
      const span = on?.api.trace.getActiveSpan();
      if (on !== undefined && span !== undefined) noteErrors(on, span, result);
    },
    onResponse({ request, response }) {
      const on = activeTracing();
      const span = requestSpans.get(request);
      if (on !== undefined && span !== undefined) noteStatus(on, span, response.status);
    },
  };
}

/** A request's SERVER span, child of what the caller's `traceparent` names (or a new trace). */
function startServerSpan(
  on: ActiveTracing,
  headers: HeaderCarrier,
  method: string | undefined,
): { span: Api.Span; parent: Api.Context } {
  const parent = callerContext(on, headers);
  const attributes: Api.Attributes = { "url.path": GRAPHQL_PATH, "http.route": GRAPHQL_PATH };
  if (method !== undefined) attributes["http.request.method"] = method;
  const span = on.tracer.startSpan(
    method === undefined ? "graphql" : `${method} ${GRAPHQL_PATH}`,
    { kind: on.api.SpanKind.SERVER, attributes },
    parent,
  );
  return { span, parent };
}

function isGraphqlPath(url: string): boolean {
  try {
    return new URL(url).pathname === GRAPHQL_PATH;
  } catch {
    return false;
  }
}

interface OperationArgs {
  document: DocumentNode;
  operationName?: string | null;
  contextValue: unknown;
}

/** Hashes by document: Yoga's parse cache hands the same document object to each repeat. */
const hashes = new WeakMap<DocumentNode, string>();

/** Names the span as the semantic conventions say (`query Name`) and records what ran. */
function describeOperation(
  span: Api.Span,
  { document, operationName, contextValue }: OperationArgs,
) {
  const operation = getOperationAST(document, operationName);
  const type = operation?.operation ?? "unknown";
  const name = operation?.name?.value;
  span.updateName(name === undefined ? type : `${type} ${name}`);
  span.setAttribute("graphql.operation.type", type);
  if (name !== undefined) span.setAttribute("graphql.operation.name", name);
  const context = contextValue as { params?: { query?: unknown }; requestId?: unknown } | null;
  const query = context?.params?.query;
  if (typeof query === "string") {
    let hash = hashes.get(document);
    if (hash === undefined) {
      hash = createHash("sha256").update(query).digest("hex");
      hashes.set(document, hash);
    }
    span.setAttribute("graphql.document.hash", hash);
  }
  if (typeof context?.requestId === "string") {
    span.setAttribute("gateway.request_id", context.requestId);
  }
}

/** A result's distinct error codes (never its messages); the span is marked failed by the first. */
function noteErrors(on: ActiveTracing, span: Api.Span, result: unknown): void {
  const errors = (result as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return;
  const codes = [...new Set(errors.map(errorCode))];
  span.setAttribute("graphql.error.codes", codes);
  markFailed(on, span, codes[0] ?? "Error");
}

function noteStatus(on: ActiveTracing, span: Api.Span, status: number): void {
  span.setAttribute("http.response.status_code", status);
  if (status >= 500) markFailed(on, span, String(status));
}
