/**
 * Trace ids in log lines: pino's `mixin` asks for them on every line, and its merge strategy puts
 * them in front of the line's own fields. With tracing off, or no span active, the mixin hands
 * back one shared empty object that the strategy recognises and skips: no allocation, no copy.
 */
import { activeTracing } from "./state.js";

const NO_FIELDS: Readonly<Record<string, string>> = Object.freeze({});
/** W3C trace flags' `sampled` bit (the API's TraceFlags.SAMPLED, not loaded while tracing is off). */
const SAMPLED = 1;

/** `trace_id` and `span_id` of the span active where the line is written, when there is one. */
export function traceLogFields(): object {
  const span = activeTracing()?.api.trace.getActiveSpan();
  if (span === undefined) return NO_FIELDS;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // A span stays in the context of the timers set while it ran (the live-status poll a
  // subscription started runs in them for as long as it polls): a sampled span that no longer
  // records has ended, and a line written there is not its own. (An unsampled span cannot tell.)
  if ((traceFlags & SAMPLED) !== 0 && !span.isRecording()) return NO_FIELDS;
  return { trace_id: traceId, span_id: spanId };
}

/** pino's `mixinMergeStrategy`: the line's fields over the trace fields, or the line as it is. */
export function withTraceFields(record: object, fields: object): object {
  return fields === NO_FIELDS ? record : Object.assign(fields, record);
}
