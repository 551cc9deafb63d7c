import type { ObjectRef } from "@pothos/core";
import { pageCost } from "../limits/cost.js";
import { DEFAULT_FIRST, type ParseJobsEdge, ParseJobsPage } from "../parse-jobs-page.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { builder } from "./builder.js";
import { DateTime } from "./date-time.js";
import { ParseJob, ParseJobStatusEnum } from "./parse-job.js";

const ParseJobFilter = builder.inputType("ParseJobFilter", {
  description:
    "Narrows `parseJobs`. Each field maps onto the LlamaCloud query parameter of the same meaning; fields combine with AND.",
  fields: (t) => ({
    status: t.field({ type: ParseJobStatusEnum, description: "Only jobs with this status." }),
    createdAtOnOrAfter: t.field({
      type: DateTime,
      description: "Only jobs created at or after this instant (inclusive).",
    }),
    createdAtOnOrBefore: t.field({
      type: DateTime,
      description: "Only jobs created at or before this instant (inclusive).",
    }),
    jobIds: t.idList({
      description: "Only these jobs. An empty list matches nothing.",
    }),
    projectId: t.id({ description: "Only jobs of this project." }),
    organizationId: t.id({ description: "Only jobs of this organization." }),
  }),
});

/** An edge as its fields see it: `node` may also hold the error of an unreadable job (see below). */
type ServedEdge = { cursor: string; node: ParseJobRecord };

// Properties, no resolvers: the executor reads them inline (ParseJob's fields do the same).
const ServedParseJobEdge = builder.objectRef<ServedEdge>("ParseJobEdge").implement({
  description: "A job in a `parseJobs` page, with the cursor to resume after it.",
  fields: (t) => ({
    cursor: t.exposeString("cursor", {
      description: "Opaque; pass it as `after` (with the same filter) to continue after this job.",
    }),
    node: t.expose("node", { type: ParseJob }),
  }),
});

/**
 * The type as `edges` hands it ParseJobsEdge objects, whose `node` is a GatewayError for an item
 * the gateway cannot read: execution raises an Error value as the field's error, which nulls that
 * edge alone. Pothos's `expose` cannot type that, hence the one cast.
 */
const ParseJobEdge = ServedParseJobEdge as unknown as ObjectRef<
  typeof builder.$inferSchemaTypes,
  ParseJobsEdge
>;

const ParseJobConnection = builder.objectRef<ParseJobsPage>("ParseJobConnection").implement({
  description: "A page of parse jobs, newest first as LlamaCloud orders them.",
  fields: (t) => ({
    edges: t.field({
      type: [ParseJobEdge],
      // An edge whose job cannot be represented is null with an error; the rest of the page stays.
      nullable: { list: false, items: true },
      resolve: (page) => page.edges(),
    }),
    pageInfo: t.field({ type: builder.pageInfoRef(), resolve: (page) => page.pageInfo() }),
    totalCount: t.int({
      nullable: true,
      description:
        "LlamaCloud's estimate of how many jobs match the filter, for display only; null when it does not say.",
      resolve: (page) => page.totalCount(),
    }),
  }),
});

builder.queryField("parseJobs", (t) =>
  t.field({
    type: ParseJobConnection,
    description:
      "Parse jobs, a page at a time, forward only: pass `pageInfo.endCursor` as `after` for the next page.",
    args: {
      first: t.arg.int({
        defaultValue: DEFAULT_FIRST,
        description:
          "How many jobs, from 0 to the gateway's MAX_PAGE_SIZE (100 unless configured).",
      }),
      after: t.arg.string({
        description: "A cursor from an earlier page of the same query (same filter).",
      }),
      filter: t.arg({ type: ParseJobFilter }),
    },
    complexity: (args) => pageCost(args.first, DEFAULT_FIRST),
    resolve: (_root, args, context) => ParseJobsPage.fromArgs(args, context),
  }),
);
