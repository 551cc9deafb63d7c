/**
 * OpenTelemetry tracing (README, "Tracing"): configured by the standard OTEL_* variables
 * (config.ts), started by `index.ts` (sdk.ts), wired into Yoga by yoga.ts (server.ts), and called
 * by the code whose work it traces (spans.ts, webhooks.ts) and by the logger (logs.ts). With no
 * endpoint configured, nothing here loads an OpenTelemetry module and each helper only runs the
 * work it is handed.
 */
export {
  type OtlpProtocol,
  readTracingConfig,
  type TracesSampler,
  type TracingConfig,
} from "./config.js";
export { traceLogFields, withTraceFields } from "./logs.js";
export { startTracing, type Tracing } from "./sdk.js";
export { traceRequest, tracingPlugin } from "./server.js";
export {
  type AttemptSpan,
  type CallOrigin,
  callOrigin,
  traceJoinedCall,
  traceLookupBatch,
  traceStatusRead,
  upstreamAttemptSpan,
} from "./spans.js";
export { noteWebhookEvent, traceWebhooks } from "./webhooks.js";
