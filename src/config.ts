/**
 * Configuration: read once from the environment at start, validated, then passed down explicitly.
 * Nothing else in the gateway reads `process.env`.
 */

import { type CallersConfig, readCallersConfig } from "./callers/config.js";
import {
  boolean,
  ConfigError,
  DEFAULT_BASE_URL,
  type Env,
  integer,
  oneOf,
  optionalString,
  parseBaseUrl,
  parseOrigins,
} from "./config-env.js";
import { type LiveConfig, readLiveConfig } from "./live/config.js";
import { readSharedConfig, type SharedConfig } from "./shared/config.js";
import { readTracingConfig, type TracingConfig } from "./tracing/config.js";

export { ConfigError, DEFAULT_BASE_URL } from "./config-env.js";

/** The gateway's validated settings. */
export interface Config {
  /** Fallback credential for callers that send no `Authorization` header. */
  apiKey: string | undefined;
  /** Where LlamaCloud (or a stand-in) answers, without a trailing slash. */
  baseUrl: string;
  /**
   * True when neither key nor base URL was given outside production: `npm start` then runs the
   * embedded demo upstream. In production the same settings mean LlamaCloud, callers' own keys.
   */
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
  /** An upstream call another request of the same credential is waiting for is not sent twice. */
  deduplicateUpstream: boolean;
  /** A query identical to one still running (same credential) takes that one's result. */
  shareExecutions: boolean;
  /** Shared work is joined only if its reads began at most this long before the request, in ms. */
  sharedWorkMaxAgeMs: number;
  /** Deep-freezes results of shareable executions, so code that mutates one fails (tests only). */
  freezeSharedResults: boolean;
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
  /** Origins allowed by CORS (`CORS_ORIGINS`); `["*"]` for any, `[]` (the default) for none. */
  corsOrigins: string[];
  /** When set, operations naming `_service` or `_entities` must carry it in `x-subgraph-token`. */
  subgraphToken: string | undefined;
  /** Abuse limits checked before execution (see src/limits/). */
  limits: QueryLimits;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: LogLevel;
  /** `pretty`: one readable line per record, for people at a terminal; `json`: pino's JSON lines. */
  logFormat: LogFormat;
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
  /** On SIGTERM, how long the server keeps listening while every answer closes its connection. */
  shutdownDrainMs: number;
  /** Longest a client may take to send a request's headers (or its first byte), in ms. */
  headersTimeoutMs: number;
  /** Longest a client may take to send a whole request, headers and body, in ms. */
  requestBodyTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open, in ms. */
  keepAliveTimeoutMs: number;
  /** Most client connections open at once; beyond it new ones are closed when accepted. */
  maxConnections: number;
  /** Caller authentication, projects per caller, rate limits, trusted documents (src/callers/). */
  callers: CallersConfig;
  /** The `parseJobUpdates` subscription's poll and LlamaCloud's webhooks (src/live/). */
  live: LiveConfig;
  /** Redis, when replicas share state (src/shared/). */
  shared: SharedConfig;
  /** OpenTelemetry tracing, by the standard OTEL_* variables (src/tracing/). */
  tracing: TracingConfig;
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

export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The `NODE_ENV` values the gateway knows; any other is a typo (`prod`, `Production`) refused at start. */
export const NODE_ENVS = ["production", "development", "test"] as const;

/**
 * Reads and validates the configuration from an environment (defaults to `process.env`).
 * `stdoutIsTTY` picks the default log format; tests pass it to be independent of their terminal.
 */
export function loadConfig(
  env: Env = process.env,
  stdoutIsTTY: boolean = process.stdout.isTTY === true,
): Config {
  const apiKey = optionalString(env, "LLAMA_CLOUD_API_KEY");
  const rawBaseUrl = optionalString(env, "LLAMA_CLOUD_BASE_URL");
  // A misspelt production (`prod`) would otherwise run with GraphiQL, introspection and the demo.
  const production = oneOf(env, "NODE_ENV", NODE_ENVS, "development") === "production";
  // Production never serves seeded data: unconfigured, it is LlamaCloud with callers' own keys.
  const demoMode = !production && apiKey === undefined && rawBaseUrl === undefined;
  return {
    apiKey,
    baseUrl: rawBaseUrl === undefined ? DEFAULT_BASE_URL : parseBaseUrl(rawBaseUrl),
    demoMode,
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
    shareExecutions: boolean(env, "SHARE_EXECUTIONS", true),
    sharedWorkMaxAgeMs: integer(env, "SHARED_WORK_MAX_AGE_MS", 1000, 0, 600_000),
    freezeSharedResults: false,
    directPost: boolean(env, "DIRECT_POST", true),
    ...runMode(env, production),
    limits: {
      maxDepth: integer(env, "MAX_QUERY_DEPTH", 10, 1, 100),
      maxAliases: integer(env, "MAX_QUERY_ALIASES", 60, 0, 1000),
      maxTokens: integer(env, "MAX_QUERY_TOKENS", 2500, 100, 100_000),
      maxDirectives: integer(env, "MAX_QUERY_DIRECTIVES", 20, 0, 1000),
      maxCost: integer(env, "MAX_QUERY_COST", 1500, 1, 1_000_000),
    },
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 100_000, 1000, 10_000_000),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    // A person reads a terminal; anything else (a file, a pipe, a log shipper) wants JSON.
    logFormat: oneOf(env, "LOG_FORMAT", LOG_FORMATS, stdoutIsTTY ? "pretty" : "json"),
    readinessCacheMs: integer(env, "READINESS_CACHE_MS", 5000, 0, 600_000),
    ...responseCache(env),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    ...serving(env),
    // The demo upstream's key is the server key in demo mode.
    callers: readCallersConfig(env, production, apiKey !== undefined || demoMode),
    live: readLiveConfig(env),
    shared: readSharedConfig(env),
    tracing: readTracingConfig(env),
  };
}

/** Production turns GraphiQL, introspection and suggestions off unless explicitly turned on. */
function runMode(
  env: Env,
  production: boolean,
): Pick<
  Config,
  "production" | "graphiql" | "introspection" | "fieldSuggestions" | "corsOrigins" | "subgraphToken"
> {
  const origins = optionalString(env, "CORS_ORIGINS");
  return {
    production,
    graphiql: boolean(env, "GRAPHIQL", !production),
    introspection: boolean(env, "INTROSPECTION", !production),
    fieldSuggestions: boolean(env, "FIELD_SUGGESTIONS", !production),
    // No CORS unless asked, in every mode: a page on any site could otherwise read through the
    // server's key (the gateway has no caller authentication of its own).
    corsOrigins: origins === undefined ? [] : parseOrigins(origins),
    subgraphToken: subgraphToken(env),
  };
}

/** `SUBGRAPH_TOKEN`: optional; a secret, so its value never appears in a message. */
function subgraphToken(env: Env): string | undefined {
  const token = optionalString(env, "SUBGRAPH_TOKEN");
  if (token === undefined) return undefined;
  // Only visible ASCII can travel in an HTTP header unchanged; short tokens can be guessed.
  if (!/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new ConfigError(
      `SUBGRAPH_TOKEN must be at least 16 visible ASCII characters, no spaces (got ${token.length} characters; value not shown)`,
    );
  }
  return token;
}

/** What one client may hold of the server: timeouts, the connection cap, the drain window. */
function serving(
  env: Env,
): Pick<
  Config,
  | "shutdownDrainMs"
  | "headersTimeoutMs"
  | "requestBodyTimeoutMs"
  | "keepAliveTimeoutMs"
  | "maxConnections"
> {
  const headersTimeoutMs = integer(env, "HEADERS_TIMEOUT_MS", 10_000, 100, 600_000);
  const requestBodyTimeoutMs = integer(env, "REQUEST_BODY_TIMEOUT_MS", 30_000, 100, 600_000);
  // The headers are part of the request: Node refuses a headers timeout above the request's.
  if (headersTimeoutMs > requestBodyTimeoutMs) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be above REQUEST_BODY_TIMEOUT_MS (${requestBodyTimeoutMs}): the whole request includes its headers`,
    );
  }
  return {
    shutdownDrainMs: integer(env, "SHUTDOWN_DRAIN_MS", 1000, 0, 600_000),
    headersTimeoutMs,
    requestBodyTimeoutMs,
    keepAliveTimeoutMs: integer(env, "KEEP_ALIVE_TIMEOUT_MS", 5000, 1, 600_000),
    maxConnections: integer(env, "MAX_CONNECTIONS", 1000, 1, 1_000_000),
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
