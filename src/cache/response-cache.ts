import { createHash } from "node:crypto";
import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import type { GatewayContext, ParamsContext } from "../context.js";

/**
 * Where cached answers live. The in-memory store below serves one process; with `REDIS_URL` the
 * replicas share answers through Redis (`redis-store.ts`: `GET key` / `SET key value PX ttlMs`).
 */
export interface ResponseCacheStore {
  get(key: string): Promise<ExecutionResult | undefined> | ExecutionResult | undefined;
  set(key: string, result: ExecutionResult, ttlMs: number): Promise<void> | void;
}

/** A bounded in-memory store: expired entries are dropped when read, the oldest when full. */
export class MemoryResponseStore implements ResponseCacheStore {
  private readonly entries = new Map<string, { result: ExecutionResult; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): ExecutionResult | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.result;
  }

  set(key: string, result: ExecutionResult, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { result, expiresAt: Date.now() + ttlMs });
  }
}

/**
 * The optional response cache (`RESPONSE_CACHE_TTL_MS` > 0). The key is a hash of the credential
 * in use plus the operation (text, name and variables), so two callers never share an answer.
 * Answers with errors are not kept; answers that saw a PENDING or RUNNING job live only
 * `RESPONSE_CACHE_ACTIVE_TTL_MS` (0: not kept). Invalidation is by TTL alone.
 */
export function responseCachePlugin(
  config: Config,
  store: ResponseCacheStore = new MemoryResponseStore(config.responseCacheMaxEntries),
): Plugin<GatewayContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context: GatewayContext & ParamsContext = args.contextValue;
      const params = context.params;
      if (params?.query === undefined) return;
      const key = cacheKey(context.credentialScope(), params);
      const cached = await store.get(key);
      if (cached !== undefined) {
        setResultAndStopExecution(cached);
        return;
      }
      return {
        onExecuteDone({ result }) {
          // Streams (incremental delivery) and answers with errors are never kept.
          if (!("data" in result) || result.errors !== undefined) return;
          const ttl = context.seen.activeJob
            ? config.responseCacheActiveTtlMs
            : config.responseCacheTtlMs;
          if (ttl > 0) return store.set(key, result, ttl);
        },
      };
    },
  };
}

/** `sha256(credential scope, operation text, operation name, variables)`. */
function cacheKey(
  scope: string,
  params: { query?: string; variables?: unknown; operationName?: string | null },
): string {
  return createHash("sha256")
    .update(scope)
    .update("\0")
    .update(params.query ?? "")
    .update("\0")
    .update(params.operationName ?? "")
    .update("\0")
    .update(JSON.stringify(params.variables ?? null))
    .digest("base64url");
}
