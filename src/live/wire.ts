/**
 * What replicas tell each other through Redis about jobs they read (src/live/cluster-store.ts):
 * one job's outcome and when its read started, as JSON. Only what a subscriber is sent anyway
 * goes in: the job's fields, or the upstream's refusal as the gateway shows it to clients (its
 * message already has the credential taken out). Never a credential, a header or a scope's key.
 */
import { GatewayError, type GatewayErrorCode } from "../upstream/errors.js";
import { PARSE_JOB_STATUSES, type ParseJobRecord } from "../upstream/job-record.js";

/** One read of one job: its record, null (no such job for this caller), or a fatal refusal. */
export type Outcome = ParseJobRecord | null | GatewayError;

/** An outcome with the wall-clock time (ms since the epoch) its read started. */
export interface Stamped {
  id: string;
  readAt: number;
  outcome: Outcome;
}

const FIELDS = [
  "projectId",
  "status",
  "createdAt",
  "updatedAt",
  "errorMessage",
  "name",
  "tier",
] as const;

/**
 * Codes an outcome can carry: a field the upstream sent unusable (it stays that field's error on
 * every replica), and the refusals that end subscriptions (src/live/read.ts `isFatal`).
 */
const CODES: ReadonlySet<string> = new Set<GatewayErrorCode>([
  "UPSTREAM_BAD_RESPONSE",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "PAYMENT_REQUIRED",
]);
const STATUSES: ReadonlySet<unknown> = new Set(PARSE_JOB_STATUSES);

interface WireError {
  code: string;
  message: string;
  extensions: Record<string, unknown>;
}

function encodeError(error: GatewayError): { error: WireError } {
  const { code: _code, ...extensions } = error.extensions;
  return { error: { code: error.code, message: error.message, extensions } };
}

/** `stamped` as the JSON text replicas exchange. */
export function encodeStamped({ id, readAt, outcome }: Stamped): unknown {
  if (outcome === null) return { id, readAt, missing: true };
  if (outcome instanceof GatewayError) return { id, readAt, ...encodeError(outcome) };
  const job: Record<string, unknown> = { id: outcome.id };
  for (const field of FIELDS) {
    const value = outcome[field];
    job[field] = value instanceof GatewayError ? encodeError(value) : value;
  }
  return { id, readAt, job };
}

/** What `encodeStamped` made, read back; undefined for anything else (it is then ignored). */
export function decodeStamped(value: unknown): Stamped | undefined {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.readAt !== "number") {
    return undefined;
  }
  const { id, readAt } = value;
  if (value.missing === true) return { id, readAt, outcome: null };
  if (value.error !== undefined) {
    const error = decodeError(value);
    return error === undefined ? undefined : { id, readAt, outcome: error };
  }
  if (!isRecord(value.job) || value.job.id !== id) return undefined;
  const job: Record<string, unknown> = { id };
  for (const field of FIELDS) {
    const raw = value.job[field];
    const decoded = typeof raw === "string" || raw === null ? raw : decodeError(raw);
    if (decoded === undefined) return undefined;
    job[field] = decoded;
  }
  const { status } = job;
  if (!(status instanceof GatewayError) && !STATUSES.has(status)) return undefined;
  // Every field checked above: a string, null or a GatewayError, as `readJobRecord` makes them.
  return { id, readAt, outcome: job as unknown as ParseJobRecord };
}

function decodeError(value: unknown): GatewayError | undefined {
  if (!isRecord(value) || !isRecord(value.error)) return undefined;
  const { code, message, extensions } = value.error;
  if (typeof code !== "string" || !CODES.has(code) || typeof message !== "string") return undefined;
  return new GatewayError(code as GatewayErrorCode, message, {
    extensions: isRecord(extensions) ? extensions : {},
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
