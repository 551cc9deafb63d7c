/**
 * Configuration: read once from the environment at start, validated, then passed down explicitly.
 * Nothing else in the gateway reads `process.env`.
 */

/** The gateway's validated settings. */
export interface Config {
  /** Fallback credential for callers that send no `Authorization` header. */
  apiKey: string | undefined;
  /** Where LlamaCloud (or a stand-in) answers, without a trailing slash. */
  baseUrl: string;
  /** True when neither key nor base URL was given: `npm start` then runs the embedded demo upstream. */
  demoMode: boolean;
  port: number;
  /** Per upstream attempt. */
  timeoutMs: number;
  /** Retries after the first attempt, on connection errors, timeouts, 408, 409, 429 and 5xx. */
  maxRetries: number;
  /** First retry delay; doubles each retry, capped at 8 s, minus up to 25 % jitter. */
  retryBaseDelayMs: number;
  /** The most HTTP requests to LlamaCloud one GraphQL request may make, retries included. */
  maxUpstreamCalls: number;
  /** How long a request may wait for LlamaCloud in all (every call and retry), in ms. */
  requestTimeoutMs: number;
  /** The longest upstream answer read, in bytes; a longer one is UPSTREAM_BAD_RESPONSE. */
  maxUpstreamResponseBytes: number;
  /** Largest `first` a client may ask for. */
  maxPageSize: number;
  /** Most ids sent to the upstream in one `job_ids` lookup. */
  lookupBatchSize: number;
  /**
   * Identical work in flight is shared (same credential only): a query identical to one still
   * running takes its result, and an upstream call another request is waiting for is not sent twice.
   */
  deduplicateUpstream: boolean;
  /** Plain GraphQL POSTs skip Yoga's Fetch adapter (src/server/direct-post.ts). */
  directPost: boolean;
  /** `NODE_ENV=production`: the defaults below turn the developer conveniences off. */
  production: boolean;
  /** Serve GraphiQL on GET /graphql. */
  graphiql: boolean;
  /** Answer `__schema` / `__type` queries. */
  introspection: boolean;
  /** Say "Did you mean …?" in validation errors (it leaks field names when introspection is off). */
  fieldSuggestions: boolean;
  /** Origins allowed by CORS; `["*"]` for any, `[]` for none (same-origin only). */
  corsOrigins: string[];
  /** Abuse limits checked before execution (see src/limits/). */
  limits: QueryLimits;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: LogLevel;
  /** How long a readiness verdict is reused before the upstream is asked again, in ms. */
  readinessCacheMs: number;
  /** Response cache lifetime in ms; 0 turns the cache off. */
  responseCacheTtlMs: number;
  /** Lifetime of answers that saw a PENDING or RUNNING job (never above `responseCacheTtlMs`). */
  responseCacheActiveTtlMs: number;
  /** Most answers kept in the in-memory response cache. */
  responseCacheMaxEntries: number;
  /** Longest wait for in-flight requests on SIGTERM before the process exits anyway, in ms. */
  shutdownTimeoutMs: number;
}

/** Sizes above which an operation is refused before it runs. */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** Upper bound of the upstream cost model in src/limits/cost.ts. */
  maxCost: number;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai";

/** Thrown for a bad environment variable; the message names the variable and what it expected. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration from an environment (defaults to `process.env`). */
export function loadConfig(env: Env = process.env): Config {
  const apiKey = optionalString(env, "LLAMA_CLOUD_API_KEY");
  const rawBaseUrl = optionalString(env, "LLAMA_CLOUD_BASE_URL");
  return {
    apiKey,
    baseUrl: rawBaseUrl === undefined ? DEFAULT_BASE_URL : parseBaseUrl(rawBaseUrl),
    demoMode: apiKey === undefined && rawBaseUrl === undefined,
    port: integer(env, "PORT", 4000, 0, 65535),
    timeoutMs: integer(env, "LLAMA_CLOUD_TIMEOUT_MS", 10_000, 1, 600_000),
    maxRetries: integer(env, "LLAMA_CLOUD_MAX_RETRIES", 2, 0, 10),
    retryBaseDelayMs: 500,
    maxUpstreamCalls: integer(env, "MAX_UPSTREAM_CALLS", 100, 1, 10_000),
    requestTimeoutMs: integer(env, "REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    maxUpstreamResponseBytes: integer(
      env,
      "MAX_UPSTREAM_RESPONSE_BYTES",
      10_000_000,
      100_000,
      1_000_000_000,
    ),
    maxPageSize: integer(env, "MAX_PAGE_SIZE", 100, 1, 1000),
    lookupBatchSize: integer(env, "LOOKUP_BATCH_SIZE", 100, 1, 1000),
    deduplicateUpstream: boolean(env, "UPSTREAM_DEDUPLICATE", true),
    directPost: boolean(env, "DIRECT_POST", true),
    ...runMode(env),
    limits: {
      maxDepth: integer(env, "MAX_QUERY_DEPTH", 10, 1, 100),
      maxAliases: integer(env, "MAX_QUERY_ALIASES", 60, 0, 1000),
      maxTokens: integer(env, "MAX_QUERY_TOKENS", 2500, 100, 100_000),
      maxDirectives: integer(env, "MAX_QUERY_DIRECTIVES", 20, 0, 1000),
      maxCost: integer(env, "MAX_QUERY_COST", 1500, 1, 1_000_000),
    },
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 100_000, 1000, 10_000_000),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    readinessCacheMs: integer(env, "READINESS_CACHE_MS", 5000, 0, 600_000),
    ...responseCache(env),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
  };
}

/** Production turns GraphiQL, introspection and suggestions off unless explicitly turned on. */
function runMode(
  env: Env,
): Pick<Config, "production" | "graphiql" | "introspection" | "fieldSuggestions" | "corsOrigins"> {
  const production = optionalString(env, "NODE_ENV") === "production";
  const origins = optionalString(env, "CORS_ORIGINS");
  return {
    production,
    graphiql: boolean(env, "GRAPHIQL", !production),
    introspection: boolean(env, "INTROSPECTION", !production),
    fieldSuggestions: boolean(env, "FIELD_SUGGESTIONS", !production),
    corsOrigins: origins === undefined ? (production ? [] : ["*"]) : parseOrigins(origins),
  };
}

function responseCache(
  env: Env,
): Pick<Config, "responseCacheTtlMs" | "responseCacheActiveTtlMs" | "responseCacheMaxEntries"> {
  const ttl = integer(env, "RESPONSE_CACHE_TTL_MS", 0, 0, 86_400_000);
  return {
    responseCacheTtlMs: ttl,
    responseCacheActiveTtlMs: Math.min(
      ttl,
      integer(env, "RESPONSE_CACHE_ACTIVE_TTL_MS", 1000, 0, 86_400_000),
    ),
    responseCacheMaxEntries: integer(env, "RESPONSE_CACHE_MAX_ENTRIES", 1000, 1, 1_000_000),
  };
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true, false, 1 or 0 (got ${JSON.stringify(raw)})`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  const value = values.find((candidate) => candidate === raw);
  if (value === undefined) {
    throw new ConfigError(
      `${name} must be one of ${values.join(", ")} (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}

/** `*`, or a comma-separated list of origins such as `https://app.example.com`. */
function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  if (origins.length === 1 && origins[0] === "*") return ["*"];
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must be * or a comma-separated list of origins like https://app.example.com, without path or trailing slash (got ${JSON.stringify(origin)})`,
      );
    }
  }
  return origins;
}

/** An empty or blank value counts as unset, as shells and `.env` files often leave `FOO=`. */
function optionalString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `LLAMA_CLOUD_BASE_URL must be an absolute http(s) URL such as ${DEFAULT_BASE_URL} (got ${JSON.stringify(raw)})`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `LLAMA_CLOUD_BASE_URL must use http or https (got ${JSON.stringify(url.protocol)})`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      "LLAMA_CLOUD_BASE_URL must not carry a query, a fragment or credentials: put the key in LLAMA_CLOUD_API_KEY",
    );
  }
  return url.href.replace(/\/+$/, "");
}
