/**
 * Whether tracing runs, and with what. The OpenTelemetry API itself is loaded only when tracing
 * starts (src/tracing/sdk.ts): with tracing off, every helper of src/tracing/ is one check of
 * `active` and a call of the work it wraps, and the process never loads an OpenTelemetry module.
 */
import type * as Api from "@opentelemetry/api";

/** The API module and the gateway's tracer, while tracing runs. */
export interface ActiveTracing {
  readonly api: typeof Api;
  readonly tracer: Api.Tracer;
}

let active: ActiveTracing | undefined;

/** The running tracing, or undefined when it is off (no endpoint, or not started). */
export function activeTracing(): ActiveTracing | undefined {
  return active;
}

export function setActiveTracing(next: ActiveTracing | undefined): void {
  active = next;
}

/** Headers as either side of the gateway holds them: Fetch's `Headers` or Node's plain object. */
export type HeaderCarrier =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | string[] | undefined>>;

/** Reads `traceparent` and `tracestate` (the only keys the W3C propagator asks for). */
export const headerGetter: Api.TextMapGetter<HeaderCarrier> = {
  keys: () => [],
  get(carrier, key) {
    if (typeof carrier.get === "function") return carrier.get(key) ?? undefined;
    return (carrier as Readonly<Record<string, string | string[] | undefined>>)[key];
  },
};

/** The parent context a caller's `traceparent` (and `tracestate`) names; the root without one. */
export function callerContext(on: ActiveTracing, headers: HeaderCarrier): Api.Context {
  return on.api.propagation.extract(on.api.ROOT_CONTEXT, headers, headerGetter);
}

/**
 * The code an error is recorded with: its GraphQL `extensions.code` (every GatewayError's), else
 * its class name. Only the code: messages may quote a variable's value or the upstream's words
 * about the request, and neither may reach a span.
 */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
    if (typeof code === "string") return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === "string") return name;
  }
  return "Error";
}

/** Marks a span failed with a code (GatewayError's, or `errorCode`'s): its status and `error.type`. */
export function markFailed(on: ActiveTracing, span: Api.Span, code: string): void {
  span.setStatus({ code: on.api.SpanStatusCode.ERROR, message: code });
  span.setAttribute("error.type", code);
}

/**
 * Runs `run` with `span` as the active span (its children and log lines see it), then ends it;
 * a rejection is recorded with its code first. `run` may throw synchronously: same outcome.
 */
export function runInSpan<T>(
  on: ActiveTracing,
  span: Api.Span,
  parent: Api.Context,
  run: () => Promise<T>,
): Promise<T> {
  return on.api.context.with(on.api.trace.setSpan(parent, span), async () => {
    try {
      return await run();
    } catch (error) {
      markFailed(on, span, errorCode(error));
      throw error;
    } finally {
      span.end();
    }
  });
}
