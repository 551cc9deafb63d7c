import { errorForUpstreamAnswer, GatewayError } from "./errors.js";
import type { HttpAnswer, TransportError } from "./http.js";
import type { Redactor } from "./redact.js";
import { isRetryable, retryAfterMs } from "./retry.js";

/**
 * What a failed upstream attempt becomes: the GatewayError a client sees, and whether another
 * attempt may help. src/upstream/client.ts decides, from these, whether to retry.
 */

/** How one attempt failed, and whether another may help. */
export interface Failure {
  error: GatewayError;
  retryable: boolean;
  askedWaitMs?: number;
}

/** The failure a non-2xx answer stands for. */
export function answerFailure(answer: HttpAnswer, redactor: Redactor): Failure {
  const askedWaitMs = retryAfterMs(answer.headers);
  const retryAfterSeconds =
    askedWaitMs === undefined ? undefined : Math.max(1, Math.ceil(askedWaitMs / 1000));
  return {
    error: errorForUpstreamAnswer(
      answer.status,
      answer.body,
      retryAfterSeconds,
      // The answer's text is redacted once decoded (see readableDetail), never as raw bytes.
      redactor,
    ),
    retryable: isRetryable(answer.status),
    askedWaitMs,
  };
}

/** The failure of an attempt that got no usable answer. */
export function transportFailure(error: TransportError, attempt: number): Failure {
  if (error.kind === "too_large") {
    // Not retried: the same page would be as large again.
    return {
      error: new GatewayError(
        "UPSTREAM_BAD_RESPONSE",
        `LlamaCloud sent an unexpected answer: ${error.message} (MAX_UPSTREAM_RESPONSE_BYTES)`,
      ),
      retryable: false,
    };
  }
  return {
    error: new GatewayError(
      "UPSTREAM_UNAVAILABLE",
      `LlamaCloud could not be reached: ${error.message}${afterAttempts(attempt)}`,
    ),
    retryable: true,
  };
}

function afterAttempts(attempt: number): string {
  return attempt === 0 ? "" : ` (after ${attempt + 1} attempts)`;
}

/** The error of a request whose deadline passed while it waited for LlamaCloud. */
export function requestTimeout(ms: number | undefined): GatewayError {
  return new GatewayError(
    "REQUEST_TIMEOUT",
    `LlamaCloud did not answer within this request's deadline${ms === undefined ? "" : ` of ${ms} ms`} (REQUEST_TIMEOUT_MS)`,
  );
}
