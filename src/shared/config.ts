/** Shared state across replicas: where Redis is, and how long to wait for it. */
import { ConfigError, type Env, integer, optionalString } from "../config-env.js";

export interface SharedConfig {
  /** `REDIS_URL` (`redis://…` or `rediss://…`); unset: every replica keeps its state in process. */
  redisUrl: string | undefined;
  /** Prepended to every key and channel (`REDIS_PREFIX`), so several deployments share a Redis. */
  redisPrefix: string;
  /** Longest wait for one Redis command before the in-process fallback is used, in ms. */
  redisTimeoutMs: number;
}

/** Reads the shared-state settings. */
export function readSharedConfig(env: Env): SharedConfig {
  return {
    redisUrl: redisUrl(env),
    redisPrefix: optionalString(env, "REDIS_PREFIX") ?? "parse-jobs-graphql:",
    redisTimeoutMs: integer(env, "REDIS_TIMEOUT_MS", 250, 10, 60_000),
  };
}

/** `REDIS_URL`: its password may be in it, so a bad value is described, never shown. */
function redisUrl(env: Env): string | undefined {
  const raw = optionalString(env, "REDIS_URL");
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:")) {
    const what = url === undefined ? "not a URL" : `scheme ${url.protocol}`;
    throw new ConfigError(
      `REDIS_URL must be a redis:// or rediss:// URL (got ${what}; value not shown)`,
    );
  }
  return raw;
}
