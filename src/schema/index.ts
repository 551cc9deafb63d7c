import { builder } from "./builder.js";
import "./date-time.js";
import "./parse-job.js";
import "./parse-jobs.js";
import "./parse-job-updates.js";
import { checkRepresentations } from "./entity-representations.js";
import { describeRouterFields, FEDERATION_LINK_URL, priceEntities } from "./federation.js";

/**
 * The client-facing schema, without federation plumbing: what `schema/schema.graphql` prints and
 * what clients generate code against.
 */
export const schema = builder.toSchema({ sortSchema: true });

/**
 * The schema the endpoint serves: `schema` plus the Federation v2 subgraph protocol (`_service`,
 * `_entities`, `@link`, `@key`, `@shareable`), so one endpoint serves apps and routers alike.
 */
export const subgraphSchema = checkRepresentations(
  describeRouterFields(
    priceEntities(builder.toSubGraphSchema({ sortSchema: true, linkUrl: FEDERATION_LINK_URL })),
  ),
);
