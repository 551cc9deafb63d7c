import { type RequestListener, ServerResponse } from "node:http";
import {
  createYoga,
  type GraphiQLOptions,
  type Plugin,
  type YogaServerInstance,
  type YogaServerOptions,
} from "graphql-yoga";
import { responseCacheStore } from "./cache/redis-store.js";
import { responseCachePlugin } from "./cache/response-cache.js";
import { callerOf, callersPlugin } from "./callers/index.js";
import type { Config } from "./config.js";
import { createGatewayContext, type GatewayContext } from "./context.js";
import { compiledExecution } from "./execution.js";
import { armorPlugin } from "./limits/armor.js";
import { costLimitPlugin } from "./limits/cost.js";
import { directiveLimitPlugin } from "./limits/directives.js";
import { introspectionPlugin } from "./limits/introspection.js";
import { requestBodyLimit } from "./limits/request-body-limit.js";
import { unservedStreamsPlugin } from "./live/index.js";
import { webhookPlugin } from "./live/webhooks.js";
import { yogaLogger } from "./observability/logging.js";
import { observabilityPlugin, requestIdOf } from "./observability/plugin.js";
import { departureOfResponse } from "./request-interest.js";
import { createRuntime, type GatewayRuntime } from "./runtime.js";
import { subgraphSchema } from "./schema/index.js";
import { browserPlugin } from "./server/browser.js";
import { clientErrorsPlugin } from "./server/client-errors.js";
import { handledByDirectPath, hooksTheDirectPathSkips } from "./server/direct-path-guard.js";
import { directPostListener } from "./server/direct-post.js";
import { CSRF_HEADER, corsPlugin, csrfPlugin } from "./server/run-mode.js";
import { subgraphTokenPlugin } from "./server/subgraph-token.js";
import { sharedExecutionPlugin } from "./shared-execution.js";
import { tracingPlugin } from "./tracing/index.js";

/** The query GraphiQL opens with: a page of jobs and how to get the next one. */
export const EXAMPLE_QUERY = `# Newest parse jobs first. Run it, then put
# pageInfo.endCursor into the "after" variable
# to get the next page.
query RecentParseJobs($after: String) {
  parseJobs(
    first: 10
    after: $after
    filter: { status: COMPLETED }
  ) {
    # null unless LlamaCloud sends an estimate
    totalCount
    edges {
      cursor
      node {
        id
        name
        status
        tier
        createdAt
        updatedAt
        projectId
        errorMessage
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

/** The Variables pane's start: the example's `after`, so the next page is one paste away. */
export const EXAMPLE_VARIABLES = '{"after": null}';

/** GraphiQL's options: the example query and its variables in the first tab. */
const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: "parse-jobs-graphql",
  defaultQuery: EXAMPLE_QUERY,
  defaultTabs: [{ query: EXAMPLE_QUERY, variables: EXAMPLE_VARIABLES }],
  // GraphiQL sends subscriptions as GETs (`accept: text/event-stream`, the query in the URL),
  // which the CSRF check refuses without its header: a page another site opens cannot add it.
  additionalHeaders: { [CSRF_HEADER]: "1" },
};

export { createRuntime, type GatewayRuntime } from "./runtime.js";

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Builds the Yoga server for a configuration; `index.ts` gives it a socket. */
export function createGateway(
  config: Config,
  runtime: GatewayRuntime = createRuntime(config),
  extraPlugins: Plugin[] = [],
): Gateway {
  return createYoga(gatewayOptions(config, runtime, extraPlugins));
}

/** Yoga's options for a configuration; `extraPlugins` run after the gateway's own. */
function gatewayOptions(
  config: Config,
  runtime: GatewayRuntime,
  extraPlugins: Plugin[],
): YogaServerOptions<Record<string, unknown>, GatewayContext> {
  const { logger, metrics, readiness, upstream, gate, live, shared } = runtime;
  return {
    // The subgraph schema: the client schema plus `_service`/`_entities`, so apps and federation
    // routers share this one endpoint.
    schema: subgraphSchema,
    graphqlEndpoint: "/graphql",
    // browserPlugin serves GraphiQL instead of Yoga: rendered once, compressed and revalidated.
    graphiql: false,
    landingPage: false,
    // GraphQL errors (every GatewayError) go out as they are; anything else is masked, in every
    // run mode (Yoga would otherwise show the original error when NODE_ENV=development).
    maskedErrors: { isDev: false },
    // Arrays of operations are refused (graphql-cop's batching check): one operation per request.
    batching: false,
    // Yoga's own CORS reflects any origin with credentials when unconfigured: corsPlugin instead.
    cors: false,
    logging: yogaLogger(logger),
    // requestBodyLimit() enforces the body limit at a fraction of the cost of Yoga's own check.
    maxRequestBodySize: false,
    plugins: [
      // First, so its spans hold everything the others do; only when tracing is configured. Safe
      // to mark: the direct path starts the request's span itself (`traceRequest`).
      ...(config.tracing.endpoint === undefined ? [] : [handledByDirectPath(tracingPlugin())]),
      handledByDirectPath(corsPlugin(config.corsOrigins)),
      handledByDirectPath(requestBodyLimit(config.maxBodyBytes)),
      handledByDirectPath(observabilityPlugin({ logger, metrics, readiness, shared })),
      // Safe to mark: it answers GETs and OPTIONS only, and the direct path takes JSON POSTs.
      handledByDirectPath(
        browserPlugin({
          // GraphiQL bundled into the server instead of loaded from a CDN: it works offline. The
          // module (9 MB of page) loads at the first visit: ~0.15 s less before the first answer.
          graphiqlPage: config.graphiql
            ? () =>
                import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) =>
                  renderGraphiQL(GRAPHIQL_OPTIONS),
                )
            : undefined,
          corsOrigins: config.corsOrigins,
          graphqlEndpoint: "/graphql",
        }),
      ),
      // Safe to mark: it answers POST /webhooks/llamacloud only, and the direct path takes /graphql.
      // Before the CSRF check: LlamaCloud is no browser, and the signature is what it proves.
      ...(config.live.webhookSecret === undefined
        ? []
        : [
            handledByDirectPath(
              webhookPlugin({
                secret: config.live.webhookSecret,
                maxBodyBytes: config.maxBodyBytes,
                logger,
                metrics,
                nudge: (jobIds) => live.nudge(jobIds),
              }),
            ),
          ]),
      handledByDirectPath(csrfPlugin()),
      handledByDirectPath(clientErrorsPlugin()),
      // Before anything reads the document: a refused caller costs no parse and no call.
      ...(gate === undefined ? [] : [callersPlugin(gate)]),
      subgraphTokenPlugin(config.subgraphToken),
      armorPlugin(config),
      directiveLimitPlugin(config.limits.maxDirectives),
      introspectionPlugin(config),
      costLimitPlugin(config),
      ...(config.responseCacheTtlMs > 0
        ? [responseCachePlugin(config, responseCacheStore(config, shared))]
        : []),
      compiledExecution(),
      // Last: it wraps whichever executor the plugins before it chose.
      ...(config.shareExecutions
        ? [
            sharedExecutionPlugin({
              onShared: () => metrics.recordSharedOperation(),
              freezeResults: config.freezeSharedResults,
            }),
          ]
        : []),
      // After Yoga's result processors (which run before every plugin of ours): it reads their
      // choice. The direct path runs it too, with every result-processor hook, for streams.
      handledByDirectPath(unservedStreamsPlugin()),
      ...extraPlugins,
    ],
    // Both Yoga's Node adapter and the direct path hand over Node's `res`: its closing before the
    // answer is written is how a request learns that its client hung up.
    context: ({ request, res }) =>
      createGatewayContext(request, config, upstream, requestIdOf(request), {
        departure: res instanceof ServerResponse ? departureOfResponse(res) : undefined,
        onLoaderBatch: (size) => metrics.recordLoaderBatch(size),
        caller: callerOf(request, gate?.authenticating ?? false),
        live,
      }),
  };
}

/** The HTTP listener and, for the WebSocket server beside it (src/live/websocket.ts), its Yoga. */
export interface GatewayHandlers {
  listener: RequestListener;
  yoga: Gateway;
}

/**
 * The `node:http` listener for a configuration: plain GraphQL POSTs take the direct path into
 * Yoga's pipeline (unless `DIRECT_POST=false`), everything else Yoga's own adapter.
 */
export function createListener(
  config: Config,
  runtime: GatewayRuntime = createRuntime(config),
  extraPlugins: Plugin[] = [],
): RequestListener {
  return createGatewayHandlers(config, runtime, extraPlugins).listener;
}

/** `createListener`'s listener, with the Yoga instance it serves. */
export function createGatewayHandlers(
  config: Config,
  runtime: GatewayRuntime = createRuntime(config),
  extraPlugins: Plugin[] = [],
): GatewayHandlers {
  const options = gatewayOptions(config, runtime, extraPlugins);
  const gateway = createYoga(options);
  if (!config.directPost) return { listener: gateway, yoga: gateway };
  const { logger, metrics } = runtime;
  // Yoga's own HTTP-level plugins, read off a server with the same options and none of ours.
  const skipped = hooksTheDirectPathSkips(gateway, createYoga({ ...options, plugins: [] }));
  if (skipped.length > 0) {
    logger.warn({
      msg: "direct path off: a plugin has HTTP-level hooks it does not reproduce, so every request goes through Yoga's adapter",
      hooks: skipped,
    });
    return { listener: gateway, yoga: gateway };
  }
  const listener = directPostListener(gateway, {
    maxBodyBytes: config.maxBodyBytes,
    cors: config.corsOrigins,
    logger,
    metrics,
  });
  return { listener, yoga: gateway };
}
