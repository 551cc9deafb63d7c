import type { ExecutionResult } from "graphql";
import type { Config } from "../config.js";
import type { SharedRedis } from "../shared/index.js";
import { MemoryResponseStore, type ResponseCacheStore } from "./response-cache.js";

/** Cached answers sit under `<REDIS_PREFIX>response-cache:<key>`, apart from the other features. */
const NAMESPACE = "response-cache:";

/**
 * The response cache's store: in Redis when `REDIS_URL` is set (every replica serves what any of
 * them cached), else in this process.
 */
export function responseCacheStore(
  config: Pick<Config, "responseCacheMaxEntries">,
  shared: SharedRedis | undefined,
): ResponseCacheStore {
  const local = new MemoryResponseStore(config.responseCacheMaxEntries);
  return shared === undefined ? local : new RedisResponseStore(shared, local);
}

/**
 * Answers shared by the replicas: `SET key <json> PX ttlMs` and `GET key`, so each entry keeps the
 * lifetime the plugin chose for it (job-state-aware) and Redis expires it. The keys are the
 * plugin's own (a hash of the credential scope and the operation): no secret reaches Redis.
 *
 * While Redis is away or a command fails or times out, this replica reads and writes its own
 * in-memory store instead (`orLocal`): a miss at worst, never a failed request. Once Redis is back
 * it is used again; what was cached locally meanwhile is not copied over (it expires by itself).
 */
export class RedisResponseStore implements ResponseCacheStore {
  constructor(
    private readonly shared: SharedRedis,
    private readonly local: MemoryResponseStore,
  ) {}

  get(key: string): Promise<ExecutionResult | undefined> {
    return this.shared.orLocal(
      "response-cache",
      async () => parseEntry(await this.shared.client.get(NAMESPACE + key)),
      () => this.local.get(key),
    );
  }

  set(key: string, result: ExecutionResult, ttlMs: number): Promise<void> {
    return this.shared.orLocal(
      "response-cache",
      async () => {
        await this.shared.client.set(NAMESPACE + key, JSON.stringify(result), "PX", ttlMs);
      },
      () => this.local.set(key, result, ttlMs),
    );
  }
}

/**
 * An entry as stored, or undefined (a miss) when there is none or it is not an answer this store
 * wrote: another deployment sharing the prefix by mistake costs a miss, not a wrong answer shape.
 */
function parseEntry(json: string | null): ExecutionResult | undefined {
  if (json === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || !("data" in value)) return undefined;
  // Only results with data and without errors are stored (the plugin's rule), as plain JSON.
  return value as ExecutionResult;
}
