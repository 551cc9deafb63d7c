import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DirectivePlugin from "@pothos/plugin-directives";
import FederationPlugin from "@pothos/plugin-federation";
import RelayPlugin from "@pothos/plugin-relay";
import type { GatewayContext } from "../context.js";
import { defaultFieldComplexity, JOB_COST, listLookupCost } from "../limits/cost.js";

/** The one Pothos builder; each GraphQL type adds itself to it in its own file. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  // Fields are non-null unless a field says otherwise: nullability is a decision, not a default.
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: string; Output: string };
    ID: { Input: string; Output: string };
  };
}>({
  // Complexity first (it wraps every field); federation after directives (it emits its directives
  // through them), see src/schema/federation.ts.
  plugins: [ComplexityPlugin, RelayPlugin, DirectivePlugin, FederationPlugin],
  defaultFieldNullability: false,
  // Field costs only; the limit is enforced before execution by src/limits/cost.ts (one error for
  // the whole operation), so the plugin's own per-resolver check stays off.
  complexity: { disabled: true, fieldComplexity: defaultFieldComplexity },
  relay: {
    // Node ids are the upstream job ids verbatim, so one id works in REST, GraphQL, logs and
    // federation keys. ParseJob is the only Node, so decoding needs no type prefix.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (id) => ({ typename: "ParseJob", id }),
    nodeTypeOptions: {
      description: "An object with a globally unique id, refetchable through `node` and `nodes`.",
      resolveType: () => "ParseJob",
    },
    // Shareable because Relay-style subgraphs each serve `node`/`nodes`, and Federation 2 composes a
    // root field defined in several subgraphs only when every one marks it so (see README).
    nodeQueryOptions: {
      shareable: true,
      description:
        "The object with this id (a parse job id as LlamaCloud gives it), or null when there is none.",
      complexity: JOB_COST,
      resolve: (_root, { id }, context) => context.jobs.load(id.id),
    },
    nodesQueryOptions: {
      shareable: true,
      description:
        "The objects with these ids, in the same order; null where there is none. All ids, with every other lookup in the operation, cost one upstream call per batch.",
      // Its ids plus one upstream call per batch: ids alone would let 1,400 ids in 14 calls pass.
      complexity: (args, context) => listLookupCost(args.ids, context.config.lookupBatchSize),
      // One promise for the list, with an Error in the place of each entry whose batch failed:
      // both graphql-js and graphql-jit turn such an entry alone into a null with its error
      // (graphql-jit nulls every entry of a list of promises when one of them rejects).
      resolve: (_root, { ids }, context) => context.jobs.loadMany(ids.map(({ id }) => id)),
    },
    pageInfoTypeOptions: {
      description: "Where a page of a connection stands in the whole list.",
      // Other Relay-style subgraphs define PageInfo too; @shareable lets a supergraph merge them.
      shareable: true,
    },
  },
});

builder.queryType({ description: "Parse jobs of LlamaCloud, read through `GET /api/v2/parse`." });
