/**
 * Live job status: the source of the `parseJobUpdates` subscription (src/schema/parse-job-updates.ts),
 * whatever transport carries it (SSE through Yoga, WebSocket through src/live/websocket.ts), and the
 * target of LlamaCloud's webhooks (src/live/webhooks.ts). One `LiveStatus` per process
 * (src/runtime.ts); one poller per credential scope inside it (src/live/poller.ts). With a
 * shared Redis, the replicas' pollers of one scope poll once for all (src/live/cluster.ts).
 */
import type { Logger } from "pino";
import type { Caller } from "../callers/caller.js";
import type { Config } from "../config.js";
import type { Lister, ListerScope } from "../lister.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { SharedRedis } from "../shared/redis.js";
import type { UpstreamClient } from "../upstream/client.js";
import { badUserInput, GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { LiveCluster } from "./cluster.js";
import { Poller } from "./poller.js";
import { JobStream } from "./stream.js";

export { unservedStreamsPlugin } from "./plugin.js";

/**
 * What a watch reads of the subscriber's request context. A `GatewayContext` (src/context.ts) is
 * one; it is spelt out here so that this module does not import the context, which imports it.
 */
export interface WatchContext {
  readonly config: Config;
  readonly caller: Caller;
  readonly requestId: string;
  credentialScope(): string;
  detachedLister(scopeOf: () => ListerScope): Lister;
}

export interface WatchRequest {
  /** As the client sent them: 1 to LOOKUP_BATCH_SIZE distinct ids, else BAD_USER_INPUT. */
  ids: readonly string[];
  context: WatchContext;
  /** Ends the watch when the client leaves (as `return()` on the iterator does). */
  signal?: AbortSignal;
}

export interface LiveStatus {
  /**
   * The subscription's source: each job's current state at once, then on each change of status
   * or updatedAt; completes when every id is finished (COMPLETED, FAILED, CANCELLED) or does not
   * exist. Throws TOO_MANY_SUBSCRIPTIONS / BAD_USER_INPUT (UNAUTHENTICATED without a credential)
   * at subscribe time; an upstream refusal of the credential later rejects `next()` with it.
   */
  watch(request: WatchRequest): AsyncIterable<ParseJobRecord>;
  /** A webhook says these jobs changed: every poller watching any of them re-reads them now. */
  nudge(jobIds: readonly string[]): void;
  /** SIGTERM: completes every open stream cleanly (clients reconnect elsewhere); no more polls. */
  close(): void;
  /** For metrics/tests. */
  stats(): { subscriptions: number; pollers: number; watchedIds: number };
}

export interface LiveStatusOptions {
  config: Config;
  upstream: UpstreamClient;
  metrics: GatewayMetrics;
  logger: Logger;
  /** With `REDIS_URL`: the Redis the replicas share their polls and webhooks through. */
  shared?: SharedRedis;
}

/** The process's live status: pollers by credential scope, open subscriptions by caller. */
export function createLiveStatus({
  config,
  metrics,
  logger,
  shared,
}: LiveStatusOptions): LiveStatus {
  const pollers = new Map<string, Poller>();
  const openByCaller = new Map<string, number>();
  let subscriptions = 0;
  let closed = false;
  const { statusPollMs, maxSubscriptionsPerCaller } = config.live;
  const cluster = shared === undefined ? undefined : new LiveCluster(shared, statusPollMs, metrics);

  const pollerFor = (context: WatchContext, scope: string): Poller => {
    let poller = pollers.get(scope);
    if (poller === undefined) {
      // The first subscriber's context lends the credential; every later one of the same scope
      // has the same credential and projects (that is what the scope hashes).
      // The context's detached lister holds the credential and projects, not the request.
      const listerFor = context.detachedLister;
      const share = cluster?.join(scope, () => created);
      const created: Poller = new Poller({
        listerFor,
        projects: context.caller.projects,
        statusPollMs,
        lookupBatchSize: config.lookupBatchSize,
        requestTimeoutMs: config.requestTimeoutMs,
        maxUpstreamCalls: config.maxUpstreamCalls,
        logger,
        onTick: () => metrics.recordLivePollTick(),
        onCall: (reason) => metrics.recordLivePollCall(reason),
        onIdle: () => {
          if (pollers.get(scope) === created) pollers.delete(scope);
          if (share !== undefined) cluster?.leave(share);
        },
        share,
      });
      poller = created;
      pollers.set(scope, poller);
    }
    return poller;
  };

  const live: LiveStatus = {
    watch({ ids, context, signal }) {
      const distinct = [...new Set(ids)];
      const { lookupBatchSize } = config;
      if (distinct.length === 0) throw badUserInput("parseJobUpdates needs at least one id");
      if (distinct.length > lookupBatchSize) {
        throw badUserInput(
          `parseJobUpdates watches at most ${lookupBatchSize} distinct ids (LOOKUP_BATCH_SIZE), got ${distinct.length}: split them over several subscriptions`,
        );
      }
      // Checked before anything is counted: a caller without a credential holds no slot.
      context.detachedLister(() => ({}));
      if (closed) return new JobStream([], () => {});
      const scope = context.credentialScope();
      // Per authenticated subject; without authentication, per credential scope (the key in use
      // and the projects), the closest thing to "one caller" the gateway knows.
      const callerKey =
        context.caller.subject === undefined ? `scope:${scope}` : `sub:${context.caller.subject}`;
      const open = openByCaller.get(callerKey) ?? 0;
      if (open >= maxSubscriptionsPerCaller) {
        throw new GatewayError(
          "TOO_MANY_SUBSCRIPTIONS",
          `You have ${open} open subscriptions, the most one caller may hold (MAX_SUBSCRIPTIONS_PER_CALLER = ${maxSubscriptionsPerCaller}): close one first`,
          { extensions: { maxSubscriptions: maxSubscriptionsPerCaller } },
        );
      }
      openByCaller.set(callerKey, open + 1);
      subscriptions++;
      const poller = pollerFor(context, scope);
      const onAbort = () => void stream.return();
      const stream: JobStream = new JobStream(distinct, () => {
        signal?.removeEventListener("abort", onAbort);
        subscriptions--;
        const left = (openByCaller.get(callerKey) ?? 1) - 1;
        if (left > 0) openByCaller.set(callerKey, left);
        else openByCaller.delete(callerKey);
        poller.remove(stream);
      });
      if (signal?.aborted) {
        void stream.return();
        return stream;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      poller.add(stream);
      return stream;
    },
    nudge(jobIds) {
      if (cluster !== undefined) return cluster.nudge(jobIds);
      for (const poller of pollers.values()) poller.nudge(jobIds);
    },
    close() {
      closed = true;
      for (const poller of [...pollers.values()]) poller.close();
      pollers.clear();
      cluster?.close();
    },
    stats() {
      let watchedIds = 0;
      for (const poller of pollers.values()) watchedIds += poller.watchedIds;
      return { subscriptions, pollers: pollers.size, watchedIds };
    },
  };
  metrics.trackLiveStatus(() => live.stats());
  return live;
}
