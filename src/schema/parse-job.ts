import type { ObjectRef } from "@pothos/core";
import { JOB_COST } from "../limits/cost.js";
import type { GatewayError } from "../upstream/errors.js";
import { PARSE_JOB_STATUSES, type ParseJobRecord } from "../upstream/job-record.js";
import { builder } from "./builder.js";
import { DateTime } from "./date-time.js";

export const ParseJobStatusEnum = builder.enumType("ParseJobStatus", {
  description: "Where a parse job stands.",
  values: PARSE_JOB_STATUSES,
});

/** A record as the schema's fields see it: each property its value (see ParseJobRecord for errors). */
type ServedRecord = {
  [Field in keyof ParseJobRecord]: Exclude<ParseJobRecord[Field], GatewayError>;
};

/**
 * A Node whose fields are the record's properties, read and checked once when the page arrived
 * (`readJobRecord`), with no resolver: an executor reads a property inline but calls a resolver
 * with a fresh resolve info, which on a page of 20 jobs was 160 calls. It is written out rather
 * than through `builder.node`, which resolves `id` with an async resolver, one promise per job;
 * the id is simply the upstream id (see `encodeGlobalID` in builder.ts), and `resolveType` in
 * builder.ts maps every Node to this type.
 */
const ServedParseJob = builder.objectRef<ServedRecord>("ParseJob").implement({
  description: "A LlamaCloud parse job, as `GET /api/v2/parse` lists it.",
  interfaces: [builder.nodeInterfaceRef()],
  fields: (t) => ({
    id: t.exposeID("id", {
      description: "The LlamaCloud job id, verbatim (`pjb-…`; older jobs have plain UUIDs).",
    }),
    projectId: t.exposeID("projectId", { description: "The project the job belongs to." }),
    status: t.expose("status", { type: ParseJobStatusEnum, description: "Current status." }),
    createdAt: t.expose("createdAt", {
      type: DateTime,
      nullable: true,
      description: "When the job was created.",
    }),
    updatedAt: t.expose("updatedAt", {
      type: DateTime,
      nullable: true,
      description: "When the job last changed.",
    }),
    errorMessage: t.exposeString("errorMessage", {
      nullable: true,
      description: "What went wrong, when the job FAILED.",
    }),
    name: t.exposeString("name", {
      nullable: true,
      description: "The job's optional display name.",
    }),
    tier: t.exposeString("tier", {
      nullable: true,
      description: "The parsing tier the job used.",
    }),
  }),
});

/**
 * The same type, as resolvers hand it records. Pothos's `expose` only takes properties typed as
 * the field's value, while a record's field may hold the GatewayError that replaced an unusable
 * value, which execution raises as that field's error: the one place the two views meet.
 */
export const ParseJob = ServedParseJob as unknown as ObjectRef<
  typeof builder.$inferSchemaTypes,
  ParseJobRecord
>;

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
