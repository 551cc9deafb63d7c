/**
 * Reading one environment variable each: the value, checked, or a ConfigError whose message names
 * the variable and what it expected. src/config.ts composes them into the configuration.
 */

/** LlamaCloud's base URL when none is configured. */
export const DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai";

/** Thrown for a bad environment variable; the message names the variable and what it expected. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The environment as the process has it. */
export type Env = Record<string, string | undefined>;

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true, false, 1 or 0 (got ${JSON.stringify(raw)})`);
}

export function oneOf<T extends string>(
  env: Env,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
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
export function parseOrigins(raw: string): string[] {
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
export function optionalString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
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

export function parseBaseUrl(raw: string): string {
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
