import { TimestampError, toUtcTimestamp } from "../date-time.js";
import { GatewayError } from "./errors.js";

export const PARSE_JOB_STATUSES = [
  "PENDING",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export type ParseJobStatus = (typeof PARSE_JOB_STATUSES)[number];

/** A field's value, or the error that takes its place when the upstream sent something unusable. */
export type FieldOrError<T> = T | GatewayError;

/**
 * A job as the schema reads it: each field read and checked once, when its page arrives, so that
 * `ParseJob`'s fields are plain properties (no resolver call per field and job). A field the
 * upstream sent in an unusable form holds a GatewayError instead of a value: GraphQL execution
 * (graphql-js and graphql-jit alike) raises an Error value as that field's error, so one odd field
 * costs that field (or, for a non-null one, its edge), never the page.
 */
export interface ParseJobRecord {
  readonly id: string;
  readonly projectId: FieldOrError<string>;
  readonly status: FieldOrError<ParseJobStatus>;
  readonly createdAt: FieldOrError<string | null>;
  readonly updatedAt: FieldOrError<string | null>;
  readonly errorMessage: FieldOrError<string | null>;
  readonly name: FieldOrError<string | null>;
  readonly tier: FieldOrError<string | null>;
}

/** An upstream item known to be an object with a usable string id. */
export type UpstreamItem = { readonly id: string } & Readonly<Record<string, unknown>>;

/** Reads the fields the schema serves; fields the gateway does not know are never read. */
export function readJobRecord(item: UpstreamItem): ParseJobRecord {
  return {
    id: item.id,
    projectId: requiredString(item, "project_id"),
    status: readStatus(item),
    createdAt: optionalTimestamp(item, "created_at"),
    updatedAt: optionalTimestamp(item, "updated_at"),
    errorMessage: optionalString(item, "error_message"),
    name: optionalString(item, "name"),
    tier: optionalString(item, "tier"),
  };
}

/** True while a job's status will still change (the response cache keeps such answers briefly). */
export function isActiveJob(job: ParseJobRecord): boolean {
  return job.status === "PENDING" || job.status === "RUNNING";
}

function driftError(item: UpstreamItem, field: string, problem: string): GatewayError {
  return new GatewayError(
    "UPSTREAM_BAD_RESPONSE",
    `LlamaCloud sent job ${JSON.stringify(item.id)} with ${field} ${problem}`,
    { extensions: { jobId: item.id, field } },
  );
}

function optionalString(item: UpstreamItem, field: string): FieldOrError<string | null> {
  const value = item[field];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  return driftError(item, field, `of type ${typeof value}, not a string`);
}

function requiredString(item: UpstreamItem, field: string): FieldOrError<string> {
  const value = optionalString(item, field);
  return value === null ? driftError(item, field, "missing") : value;
}

function optionalTimestamp(item: UpstreamItem, field: string): FieldOrError<string | null> {
  const value = optionalString(item, field);
  if (typeof value !== "string") return value;
  try {
    return toUtcTimestamp(value, "utc-if-missing");
  } catch (error) {
    if (error instanceof TimestampError) return driftError(item, field, error.message);
    throw error;
  }
}

/** Status casing has flipped upstream before: `completed` still reads as COMPLETED. */
function readStatus(item: UpstreamItem): FieldOrError<ParseJobStatus> {
  const value = requiredString(item, "status");
  if (typeof value !== "string") return value;
  const status = PARSE_JOB_STATUSES.find((known) => known === value.toUpperCase());
  if (status === undefined) {
    return driftError(
      item,
      "status",
      `${JSON.stringify(value)}, which is none of ${PARSE_JOB_STATUSES.join(", ")}`,
    );
  }
  return status;
}
