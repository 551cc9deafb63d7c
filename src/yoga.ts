import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Config } from "./config.js";
import { createGatewayContext, type GatewayContext } from "./context.js";
import { compiledExecution } from "./execution.js";
import { requestBodyLimit } from "./request-body-limit.js";
import { schema } from "./schema/index.js";
import { UpstreamClient } from "./upstream/client.js";

/** The query GraphiQL opens with: a page of jobs and how to get the next one. */
export const EXAMPLE_QUERY = `# Parse jobs, newest first. Run it, then pass pageInfo.endCursor as "after".
query RecentParseJobs($after: String) {
  parseJobs(first: 10, after: $after, filter: { status: COMPLETED }) {
    totalCount
    edges {
      cursor
      node { id name status tier createdAt updatedAt projectId errorMessage }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Builds the Yoga server for a configuration; `index.ts` gives it a socket. */
export function createGateway(config: Config): Gateway {
  const upstream = new UpstreamClient(config);
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: { title: "parse-jobs-graphql", defaultQuery: EXAMPLE_QUERY },
    landingPage: false,
    // GraphQL errors (every GatewayError) go out as they are; anything else is masked.
    maskedErrors: true,
    context: ({ request }) => createGatewayContext(request, config, upstream),
    plugins: [compiledExecution(), requestBodyLimit()],
    // requestBodyLimit() enforces the same limit at a fraction of the cost.
    maxRequestBodySize: false,
  });
}
