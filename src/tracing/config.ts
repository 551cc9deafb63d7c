/**
 * Tracing's settings, read from the standard OpenTelemetry environment variables so that a
 * collector's usual setup works unchanged; src/config.ts composes them into `config.tracing`.
 */
import { boolean, ConfigError, type Env, oneOf, optionalString } from "../config-env.js";

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const TRACES_SAMPLERS = [
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
  "always_on",
  "always_off",
  "traceidratio",
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

export const DEFAULT_SERVICE_NAME = "parse-jobs-graphql";

export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are exported to; undefined: tracing is off, no SDK loads. */
  endpoint: string | undefined;
  protocol: OtlpProtocol;
  /** Sent with every export; usually the collector's API key, so never logged nor shown. */
  headers: Readonly<Record<string, string>>;
  /** The `service.name` every span's resource carries. */
  serviceName: string;
  sampler: TracesSampler;
  /** The `traceidratio` samplers' share of traces, 0 to 1 (`OTEL_TRACES_SAMPLER_ARG`). */
  samplerRatio: number;
}

/** Reads tracing's variables; throws a ConfigError naming the variable for a bad value. */
export function readTracingConfig(env: Env): TracingConfig {
  const sampler = oneOf(env, "OTEL_TRACES_SAMPLER", TRACES_SAMPLERS, "parentbased_always_on");
  const headers = {
    ...keyValues(env, "OTEL_EXPORTER_OTLP_HEADERS"),
    ...keyValues(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
  };
  return {
    // The SDK's own switch, honoured as the SDKs do: everything stays configured, nothing runs.
    endpoint: boolean(env, "OTEL_SDK_DISABLED", false) ? undefined : endpoint(env),
    protocol: oneOf(env, "OTEL_EXPORTER_OTLP_PROTOCOL", OTLP_PROTOCOLS, "http/protobuf"),
    headers,
    serviceName: optionalString(env, "OTEL_SERVICE_NAME") ?? DEFAULT_SERVICE_NAME,
    sampler,
    // The specification ignores the argument of samplers that take none; so does the gateway.
    samplerRatio: sampler.endsWith("traceidratio") ? ratio(env) : 1,
  };
}

/**
 * The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (a collector's base URL, `http://collector:4318`) with `v1/traces` appended, as the
 * specification says. The value is never echoed: a URL may carry credentials.
 */
function endpoint(env: Env): string | undefined {
  const traces = optionalString(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (traces !== undefined) return httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces).href;
  const base = optionalString(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (base === undefined) return undefined;
  const url = httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url.href;
}

function httpUrl(name: string, raw: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(
      `${name} must be an absolute http(s) URL such as http://localhost:4318 (value not shown: it may hold credentials)`,
    );
  }
  return url;
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `key=value,key2=value2`, values percent-encoded (the W3C Baggage form the specification uses).
 * These headers usually hold a collector's API key: a message names the variable and the entry's
 * position, never a name or a value.
 */
function keyValues(env: Env, name: string): Record<string, string> {
  const raw = optionalString(env, name);
  if (raw === undefined) return {};
  const pairs: Record<string, string> = {};
  raw.split(",").forEach((entry, index) => {
    if (entry.trim() === "") return;
    const equals = entry.indexOf("=");
    const key = entry.slice(0, Math.max(equals, 0)).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      value = undefined;
    }
    // Node's HTTP client refuses control characters in a header: refused here, at start, instead.
    if (equals < 1 || !HEADER_NAME.test(key) || value === undefined || /\p{Cc}/u.test(value)) {
      throw new ConfigError(
        `${name} must be comma-separated key=value pairs with header names as keys and percent-encoded values (entry ${index + 1} is not; values not shown)`,
      );
    }
    pairs[key.toLowerCase()] = value;
  });
  return pairs;
}

function ratio(env: Env): number {
  const raw = optionalString(env, "OTEL_TRACES_SAMPLER_ARG");
  if (raw === undefined) return 1;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(value >= 0 && value <= 1)) {
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 for the traceidratio samplers (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}
