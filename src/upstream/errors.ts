import { GraphQLError } from "graphql";
import type { Redactor } from "./redact.js";

/**
 * The error codes a client may see in `extensions.code`. Upstream answers map onto them in
 * `errorForUpstreamAnswer`; the gateway's own checks use BAD_USER_INPUT and UNAUTHENTICATED.
 */
export type GatewayErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "PAYMENT_REQUIRED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_ERROR"
  | "UPSTREAM_BAD_RESPONSE"
  | "UPSTREAM_BUDGET_EXHAUSTED"
  | "REQUEST_TIMEOUT"
  | "REQUEST_CANCELLED"
  | "QUERY_TOO_COSTLY"
  | "AUTH_PROVIDER_UNAVAILABLE"
  | "PERSISTED_QUERY_NOT_FOUND"
  | "PERSISTED_QUERY_ONLY"
  | "TOO_MANY_SUBSCRIPTIONS";

export interface GatewayErrorOptions {
  /** The HTTP status the upstream answered with, when there was an answer. */
  upstreamStatus?: number;
  /** Seconds the upstream asked us to wait (429 only, when it said). */
  retryAfter?: number;
  /** Anything else worth showing, e.g. the offending value. */
  extensions?: Record<string, unknown>;
  /**
   * The HTTP status and headers of an answer this error ends before execution (401, 429, …).
   * Yoga reads them from `extensions.http` and leaves them out of the body.
   */
  http?: { status: number; headers?: Record<string, string> };
}

/** A GraphQL error with a code; Yoga shows these as they are and masks everything else. */
export class GatewayError extends GraphQLError {
  readonly code: GatewayErrorCode;
  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    const extensions: Record<string, unknown> = { code, ...options.extensions };
    if (options.upstreamStatus !== undefined) {
      extensions.upstream = { status: options.upstreamStatus };
    }
    if (options.retryAfter !== undefined) extensions.retryAfter = options.retryAfter;
    if (options.http !== undefined) extensions.http = options.http;
    super(message, { extensions });
    this.code = code;
  }
}

/** A client mistake found before any upstream call. */
export function badUserInput(message: string): GatewayError {
  return new GatewayError("BAD_USER_INPUT", message);
}

/**
 * Maps a non-2xx upstream answer (after any retries) onto the gateway's error taxonomy; the
 * credential the call was made with is taken out of what the answer said (`redactor`).
 */
export function errorForUpstreamAnswer(
  status: number,
  body: string,
  retryAfterSeconds: number | undefined,
  redactor: Redactor,
): GatewayError {
  const detail = readableDetail(body, redactor);
  const said = detail ? `: ${detail}` : "";
  const options: GatewayErrorOptions = { upstreamStatus: status };
  switch (status) {
    case 400:
    case 413:
    case 422:
      return new GatewayError("BAD_USER_INPUT", `LlamaCloud rejected the request${said}`, options);
    case 401:
      return new GatewayError(
        "UNAUTHENTICATED",
        `LlamaCloud did not accept the credentials${said}`,
        options,
      );
    case 402:
      return new GatewayError("PAYMENT_REQUIRED", `LlamaCloud requires payment${said}`, options);
    case 403:
      return new GatewayError("FORBIDDEN", `LlamaCloud refused access${said}`, options);
    case 404:
      return new GatewayError("NOT_FOUND", `LlamaCloud found nothing there${said}`, options);
    case 429:
      if (retryAfterSeconds !== undefined) options.retryAfter = retryAfterSeconds;
      return new GatewayError("RATE_LIMITED", `LlamaCloud rate limit reached${said}`, options);
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new GatewayError(
      "UPSTREAM_UNAVAILABLE",
      `LlamaCloud is unavailable (HTTP ${status})${said}`,
      options,
    );
  }
  return new GatewayError("UPSTREAM_ERROR", `LlamaCloud answered HTTP ${status}${said}`, options);
}

const MAX_DETAIL_LENGTH = 500;

/**
 * Turns an error body into one readable line: FastAPI's `{"detail": "…"}` or its validation list
 * `{"detail": [{"loc": [...], "msg": "..."}]}` (each `msg` with where it applies), else the text.
 * Validation items' `input` (what was sent, which the gateway knows) is never shown.
 *
 * The key is taken out of the decoded text, never the raw body: a JSON-escaped key
 * (`sk\u002dtest`) is only the key once decoded. The line is redacted whole before it is
 * shortened, so a cut cannot leave part of a key behind.
 */
export function readableDetail(body: string, redactor: Redactor): string {
  let text = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    const detail = isRecord(parsed) ? parsed.detail : undefined;
    if (typeof detail === "string") text = detail;
    else if (Array.isArray(detail)) {
      text = detail.map((item) => describeValidationItem(item, redactor)).join("; ");
    } else if (detail !== undefined) text = JSON.stringify(detail);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the raw text, shortened below.
  }
  // Scrubbed whole as well as item by item: a key split across two items is caught here.
  text = redactor.scrub(text).replace(/\s+/g, " ");
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

/** `loc: msg` of one FastAPI validation item, each part redacted, the whole scrubbed. */
function describeValidationItem(item: unknown, redactor: Redactor): string {
  if (!isRecord(item)) return redactor.scrub(JSON.stringify(item) ?? "");
  const msg = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
  const loc = Array.isArray(item.loc)
    ? item.loc
        .filter((part) => part !== "query")
        .map((part) => redactor.redact(String(part)))
        .join(".")
    : "";
  // Each part redacted first keeps the rest of a part readable; the scrub then catches a key
  // split between `loc` and `msg`.
  return redactor.scrub(loc ? `${loc}: ${redactor.redact(msg)}` : redactor.redact(msg));
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
