import type { Config } from "./config.js";
import { chooseAuthorization } from "./credentials.js";
import { createJobLoader, type JobLoader } from "./loaders/job-loader.js";
import type { ListRequest, UpstreamClient } from "./upstream/client.js";
import type { ListPage } from "./upstream/list-response.js";

/** Everything a resolver needs, made fresh for each GraphQL request. */
export interface GatewayContext {
  readonly config: Config;
  /** Calls the list endpoint with this request's credential (UNAUTHENTICATED when there is none). */
  readonly listParseJobs: (request: ListRequest) => Promise<ListPage>;
  /** Batches every lookup by id in this request; its cache dies with the request. */
  readonly jobs: JobLoader;
}

/**
 * Builds the per-request context. The credential is chosen here, once, and closed over: nothing
 * fetched under one caller's credential can reach another request.
 */
export function createGatewayContext(
  request: Request,
  config: Config,
  upstream: UpstreamClient,
): GatewayContext {
  const authorization = chooseAuthorization(request.headers.get("authorization"), config.apiKey);
  const listParseJobs = async (list: ListRequest): Promise<ListPage> => {
    if (typeof authorization !== "string") throw authorization;
    return upstream.listParseJobs(list, authorization);
  };
  return {
    config,
    listParseJobs,
    jobs: createJobLoader(listParseJobs, config.lookupBatchSize),
  };
}
