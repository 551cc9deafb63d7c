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
  /** Largest `first` a client may ask for. */
  maxPageSize: number;
  /** Most ids sent to the upstream in one `job_ids` lookup. */
  lookupBatchSize: number;
}

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
    timeoutMs: integer(env, "LLAMA_CLOUD_TIMEOUT_MS", 60_000, 1, 600_000),
    maxRetries: integer(env, "LLAMA_CLOUD_MAX_RETRIES", 2, 0, 10),
    retryBaseDelayMs: 500,
    maxPageSize: integer(env, "MAX_PAGE_SIZE", 100, 1, 1000),
    lookupBatchSize: integer(env, "LOOKUP_BATCH_SIZE", 100, 1, 1000),
  };
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
