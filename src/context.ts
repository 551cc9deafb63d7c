import { createHash } from "node:crypto";
import { ANONYMOUS, type Caller } from "./callers/caller.js";
import type { Config } from "./config.js";
import { chooseAuthorization } from "./credentials.js";
import { Freshness } from "./freshness.js";
import { type Lister, type ListerScope, listerFor } from "./lister.js";
import type { LiveStatus } from "./live/index.js";
import { createJobLoader, type JobLoader } from "./loaders/job-loader.js";
import { departureOfSignal, type OnDeparture, RequestInterest } from "./request-interest.js";
import { CallBudget } from "./upstream/call-budget.js";
import type { ListRequest, UpstreamClient } from "./upstream/client.js";
import type { GatewayError } from "./upstream/errors.js";
import { isActiveJob } from "./upstream/job-record.js";
import { isUnreadable, type ListPage } from "./upstream/list-response.js";

/** Everything a resolver needs, made fresh for each GraphQL request. */
export interface GatewayContext {
  readonly config: Config;
  /** Who sent the request, and which projects it may see (src/callers/). */
  readonly caller: Caller;
  /** Carried to the upstream as `x-request-id` and into every log line of this request. */
  readonly requestId: string;
  /** Calls the list endpoint with this request's credential (UNAUTHENTICATED when there is none). */
  readonly listParseJobs: (request: ListRequest) => Promise<ListPage>;
  /** Batches every lookup by id in this request; its cache dies with the request. */
  readonly jobs: JobLoader;
  /**
   * A one-way hash of the credential in use and the caller's projects (`NO_CREDENTIAL` when there
   * is no credential): it scopes cached and shared answers to callers who may see the same jobs.
   */
  credentialScope(): string;
  /** What this request saw upstream, for the response cache's choice of lifetime. */
  readonly seen: { activeJob: boolean };
  /** Who still waits for this request's upstream work; shared executions join it. */
  readonly interest: RequestInterest;
  /** How old the reads behind this answer may be, and how old they are. */
  readonly freshness: Freshness;
  /**
   * This request's credential and projects, detached from the request: a lister whose calls run
   * under the scope `scopeOf()` gives (no request deadline, budget or departure), for work that
   * outlives the request (the live-status poller, src/live/). Throws the credential's error
   * (UNAUTHENTICATED) at once when the request has no usable credential.
   */
  detachedLister(scopeOf: () => ListerScope): Lister;
  /** The process's live job status (`parseJobUpdates`); absent where no runtime made one. */
  readonly live: LiveStatus | undefined;
}

/** The request's own GraphQL parameters, as Yoga adds them to the context it hands plugins. */
export interface ParamsContext {
  params?: { query?: string; variables?: unknown; operationName?: string | null };
}

/** What the server wiring adds to a request's context. */
export interface ContextOptions {
  /** How the request learns that its client left (its Node response closing unanswered). */
  departure?: OnDeparture;
  /** Told how many ids each DataLoader batch asks for. */
  onLoaderBatch?: (size: number) => void;
  /** The caller authentication established (src/callers/); anonymous when it is off. */
  caller?: Caller;
  /** The runtime's live job status, for the `parseJobUpdates` subscription. */
  live?: LiveStatus;
}

/** The credential scope of a request that has no usable credential. */
export const NO_CREDENTIAL = "no-credential";

/** True when an upstream item is a job whose status is still moving: cached for a shorter time. */
function isActive(item: ListPage["items"][number]): boolean {
  return !isUnreadable(item) && isActiveJob(item);
}

/**
 * Builds the per-request context. The credential is chosen here, once, and closed over: nothing
 * fetched under one caller's credential can reach another request.
 */
export function createGatewayContext(
  request: Request,
  config: Config,
  upstream: UpstreamClient,
  requestId: string,
  { departure, onLoaderBatch, caller = ANONYMOUS, live }: ContextOptions = {},
): GatewayContext {
  // With caller authentication on, `Authorization` holds the caller's token, which is not for
  // LlamaCloud: every caller is served with the server's key (required in that mode).
  const authorization =
    config.callers.auth === undefined
      ? chooseAuthorization(request.headers.get("authorization"), config.apiKey)
      : chooseAuthorization(null, config.apiKey);
  const seen = { activeJob: false };
  let scope: string | undefined;
  const watchStatuses = config.responseCacheTtlMs > 0;
  const interest = new RequestInterest(departure ?? departureOfSignal(request.signal));
  // Every upstream attempt of this request, retries included, comes out of one budget, and the
  // request is answered by its deadline whatever the upstream does.
  const budget = new CallBudget(config.maxUpstreamCalls);
  const arrivedAt = performance.now();
  const deadline = { at: arrivedAt + config.requestTimeoutMs, ms: config.requestTimeoutMs };
  const freshness = new Freshness(arrivedAt, config.sharedWorkMaxAgeMs);
  const { projects } = caller;
  const notePage = (page: ListPage): void => {
    // Only worth a loop over the items when a cache will read the answer.
    if (!seen.activeJob) seen.activeJob = page.items.some(isActive);
  };
  const listParseJobs: Lister =
    typeof authorization === "string"
      ? listerFor(
          upstream,
          authorization,
          projects,
          () => ({ requestId, signal: interest.signal, deadline, budget, freshness }),
          watchStatuses ? notePage : undefined,
        )
      : () => Promise.reject(authorization);
  return {
    config,
    caller,
    requestId,
    listParseJobs,
    jobs: createJobLoader(listParseJobs, config.lookupBatchSize, onLoaderBatch, projects),
    credentialScope: () => {
      // Hashed once per request: the response cache and shared executions both ask. Callers who
      // share the server's key share answers only when they may see the same projects. The list
      // goes in as JSON, not joined: a project id holding the separator (`["a\nb"]`) would
      // otherwise spell another caller's list (`["a", "b"]`) and be served its answers.
      scope ??=
        typeof authorization === "string"
          ? createHash("sha256")
              .update(
                projects === undefined
                  ? authorization
                  : `${authorization}\n${JSON.stringify(projects)}`,
              )
              .digest("base64url")
          : NO_CREDENTIAL;
      return scope;
    },
    seen,
    interest,
    freshness,
    detachedLister: detachedListers(upstream, authorization, projects),
    live,
  };
}

/**
 * `detachedLister` of a context, made outside `createGatewayContext` so that its closure holds
 * the credential, the projects and the client, and nothing of the request: a poller keeps it for
 * as long as anyone watches, long after the request (and its Node response) is gone.
 */
function detachedListers(
  upstream: UpstreamClient,
  authorization: string | GatewayError,
  projects: readonly string[] | undefined,
): GatewayContext["detachedLister"] {
  return (scopeOf) => {
    if (typeof authorization !== "string") throw authorization;
    return listerFor(upstream, authorization, projects, scopeOf);
  };
}
