import { TimestampError, toUtcTimestamp } from "../date-time.js";
import { JOB_COST } from "../limits/cost.js";
import { GatewayError } from "../upstream/errors.js";
import type { UpstreamJob } from "../upstream/list-response.js";
import { builder } from "./builder.js";
import { DateTime } from "./date-time.js";

export const PARSE_JOB_STATUSES = [
  "PENDING",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export type ParseJobStatus = (typeof PARSE_JOB_STATUSES)[number];

export const ParseJobStatusEnum = builder.enumType("ParseJobStatus", {
  description: "Where a parse job stands.",
  values: PARSE_JOB_STATUSES,
});

/**
 * A field of the upstream job that the gateway cannot represent: the error sits on that field
 * alone (or, for a non-null field, on its edge), and the rest of the page comes back whole.
 */
function driftError(job: UpstreamJob, field: string, problem: string): GatewayError {
  return new GatewayError(
    "UPSTREAM_BAD_RESPONSE",
    `LlamaCloud sent job ${JSON.stringify(job.id)} with ${field} ${problem}`,
    { extensions: { jobId: job.id, field } },
  );
}

function optionalString(job: UpstreamJob, field: string): string | null {
  const value = job[field];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  throw driftError(job, field, `of type ${typeof value}, not a string`);
}

function requiredString(job: UpstreamJob, field: string): string {
  const value = optionalString(job, field);
  if (value === null) throw driftError(job, field, "missing");
  return value;
}

function optionalTimestamp(job: UpstreamJob, field: string): string | null {
  const value = optionalString(job, field);
  if (value === null) return null;
  try {
    return toUtcTimestamp(value, "utc-if-missing");
  } catch (error) {
    if (error instanceof TimestampError) throw driftError(job, field, error.message);
    throw error;
  }
}

/** Status casing has flipped upstream before: `completed` still reads as COMPLETED. */
function readStatus(job: UpstreamJob): ParseJobStatus {
  const value = requiredString(job, "status");
  const status = PARSE_JOB_STATUSES.find((known) => known === value.toUpperCase());
  if (status === undefined) {
    throw driftError(
      job,
      "status",
      `${JSON.stringify(value)}, which is none of ${PARSE_JOB_STATUSES.join(", ")}`,
    );
  }
  return status;
}

/**
 * A Node, written out rather than through `builder.node`: that helper resolves `id` with an async
 * resolver, one promise per job on every page, where the id is simply the upstream id (see
 * `encodeGlobalID` in builder.ts). `resolveType` in builder.ts maps every Node to this type.
 */
export const ParseJob = builder.objectRef<UpstreamJob>("ParseJob").implement({
  description: "A LlamaCloud parse job, as `GET /api/v2/parse` lists it.",
  interfaces: [builder.nodeInterfaceRef()],
  fields: (t) => ({
    id: t.id({
      description: "The LlamaCloud job id, verbatim (`pjb-…`; older jobs have plain UUIDs).",
      resolve: (job) => job.id,
    }),
    projectId: t.id({
      description: "The project the job belongs to.",
      resolve: (job) => requiredString(job, "project_id"),
    }),
    status: t.field({
      type: ParseJobStatusEnum,
      description: "Current status.",
      resolve: readStatus,
    }),
    createdAt: t.field({
      type: DateTime,
      nullable: true,
      description: "When the job was created.",
      resolve: (job) => optionalTimestamp(job, "created_at"),
    }),
    updatedAt: t.field({
      type: DateTime,
      nullable: true,
      description: "When the job last changed.",
      resolve: (job) => optionalTimestamp(job, "updated_at"),
    }),
    errorMessage: t.string({
      nullable: true,
      description: "What went wrong, when the job FAILED.",
      resolve: (job) => optionalString(job, "error_message"),
    }),
    name: t.string({
      nullable: true,
      description: "The job's optional display name.",
      resolve: (job) => optionalString(job, "name"),
    }),
    tier: t.string({
      nullable: true,
      description: "The parsing tier the job used.",
      resolve: (job) => optionalString(job, "tier"),
    }),
  }),
});

builder.queryField("parseJob", (t) =>
  t.field({
    type: ParseJob,
    nullable: true,
    description:
      "One job by its LlamaCloud id, or null when there is none. Every lookup of an operation shares one batched upstream call.",
    args: { id: t.arg.id({ required: true, description: "The LlamaCloud job id." }) },
    complexity: JOB_COST,
    resolve: (_root, { id }, context) => context.jobs.load(id),
  }),
);
