import { GraphQLError } from "graphql";

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
  | "QUERY_TOO_COSTLY";

interface GatewayErrorOptions {
  /** The HTTP status the upstream answered with, when there was an answer. */
  upstreamStatus?: number;
  /** Seconds the upstream asked us to wait (429 only, when it said). */
  retryAfter?: number;
  /** Anything else worth showing, e.g. the offending value. */
  extensions?: Record<string, unknown>;
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
    super(message, { extensions });
    this.code = code;
  }
}

/** A client mistake found before any upstream call. */
export function badUserInput(message: string): GatewayError {
  return new GatewayError("BAD_USER_INPUT", message);
}

/** Maps a non-2xx upstream answer (after any retries) onto the gateway's error taxonomy. */
export function errorForUpstreamAnswer(
  status: number,
  body: string,
  retryAfterSeconds: number | undefined,
): GatewayError {
  const detail = readableDetail(body);
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
 */
export function readableDetail(body: string): string {
  let text = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    const detail = isRecord(parsed) ? parsed.detail : undefined;
    if (typeof detail === "string") text = detail;
    else if (Array.isArray(detail)) text = detail.map(describeValidationItem).join("; ");
    else if (detail !== undefined) text = JSON.stringify(detail);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the raw text, shortened below.
  }
  text = text.replace(/\s+/g, " ");
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

function describeValidationItem(item: unknown): string {
  if (!isRecord(item)) return JSON.stringify(item);
  const msg = typeof item.msg === "string" ? item.msg : JSON.stringify(item);
  const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== "query").join(".") : "";
  return loc ? `${loc}: ${msg}` : msg;
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
