import { builder } from "./builder.js";
import "./date-time.js";
import "./parse-job.js";
import "./parse-jobs.js";
import { FEDERATION_LINK_URL } from "./federation.js";

/**
 * The client-facing schema, without federation plumbing: what `schema/schema.graphql` prints and
 * what clients generate code against.
 */
export const schema = builder.toSchema({ sortSchema: true });

/**
 * The schema the endpoint serves: `schema` plus the Federation v2 subgraph protocol (`_service`,
 * `_entities`, `@link`, `@key`, `@shareable`), so one endpoint serves apps and routers alike.
 */
export const subgraphSchema = builder.toSubGraphSchema({
  sortSchema: true,
  linkUrl: FEDERATION_LINK_URL,
});
