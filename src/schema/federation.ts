import type { FieldComplexityFunction } from "@pothos/plugin-complexity";
import type { GraphQLSchema } from "graphql";
import type { GatewayContext } from "../context.js";
import { listLookupCost } from "../limits/cost.js";
import { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { builder } from "./builder.js";
import { ParseJob } from "./parse-job.js";

/** The Federation spec version the subgraph SDL links to (`@link(url: …/federation/v2.6)`). */
export const FEDERATION_LINK_URL = "https://specs.apollo.dev/federation/v2.6";

// ParseJob is an entity keyed by the raw upstream id, so another subgraph can hold just the id
// (`Document.parseJob`) and let the router fetch the rest here. Representations go through the
// request's job loader like `node`/`nodes`: N of them cost ⌈N / LOOKUP_BATCH_SIZE⌉ upstream calls,
// and an unknown id resolves to null in its place.
builder.asEntity(ParseJob, {
  key: builder.selection<{ id: string }>("id"),
  // The router's representations are answered as a list of promises. Each must settle with its
  // job, null, or an Error *value*, never reject: graphql-js and graphql-jit both turn an Error
  // value into a null with its error on that entry alone, while graphql-jit (11.x) mis-places the
  // entries of a list when one of its promises rejects.
  resolveReference: (reference, context) => asEntry(settle(reference.id, context)),
});

/** Looks one representation's id up, answering an Error value (not a rejection) when it fails. */
async function settle(
  id: unknown,
  context: GatewayContext,
): Promise<ParseJobRecord | null | Error> {
  // Routers send key fields as JSON; anything but a string cannot name an upstream job.
  if (typeof id !== "string") {
    return new GatewayError(
      "BAD_USER_INPUT",
      `A ParseJob representation needs a string "id" (the LlamaCloud job id), got ${JSON.stringify(id) ?? "nothing"}`,
    );
  }
  return context.jobs
    .load(id)
    .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/**
 * Pothos types an entity's result as the job itself; an Error value is the one other thing both
 * executors accept in a list entry (they raise it as that entry's error), hence this cast.
 */
function asEntry(result: Promise<ParseJobRecord | null | Error>): Promise<ParseJobRecord | null> {
  return result as Promise<ParseJobRecord | null>;
}

/** `_entities` priced like `nodes`: its representations, plus one upstream call per batch. */
const entitiesComplexity: FieldComplexityFunction<GatewayContext, Record<string, unknown>> = (
  args,
  context,
) => listLookupCost(args.representations, context.config.lookupBatchSize);

/**
 * Gives the subgraph schema's `_entities` its price, and answers the same schema. The federation
 * plugin adds `_entities` after Pothos ran its field hooks, so neither a `complexity` option nor
 * the builder's `fieldComplexity` ever reaches it: unpriced, the complexity rule charged it 1
 * whatever the number of representations, and 2,200 of them (22 upstream calls) passed.
 */
export function priceEntities(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  if (field === undefined) {
    throw new Error("The subgraph schema has no Query._entities to price: is ParseJob an entity?");
  }
  // A new extensions object on this schema's own field: the plugin builds `_entities` from a config
  // shared by every schema (@apollo/subgraph's `entitiesField`), which must stay untouched.
  field.extensions = { ...field.extensions, complexity: entitiesComplexity };
  return schema;
}

/** What GraphiQL's docs and introspection say of the fields only federation routers call. */
const ROUTER_FIELD_DESCRIPTIONS: Record<string, string> = {
  _entities:
    "For federation routers, not apps: resolves ParseJob representations ({ __typename, id }) sent by a router composing this subgraph. Apps use parseJob, node or nodes.",
  _service:
    "For federation routers, not apps: this subgraph's SDL, which a router composes into its supergraph.",
};

/**
 * Describes `_entities` and `_service` on this schema's own fields: the federation plugin adds
 * them without a description, so in GraphiQL's docs they looked like fields for apps to call.
 */
export function describeRouterFields(schema: GraphQLSchema): GraphQLSchema {
  const fields = schema.getQueryType()?.getFields() ?? {};
  for (const [name, description] of Object.entries(ROUTER_FIELD_DESCRIPTIONS)) {
    const field = fields[name];
    if (field === undefined)
      throw new Error(`The subgraph schema has no Query.${name} to describe`);
    // Set on this schema's field object, like priceEntities: the plugin's shared config stays.
    field.description = description;
  }
  return schema;
}
