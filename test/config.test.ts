import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_BASE_URL, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has defaults, and demo mode when neither key nor base URL is set", () => {
    expect(loadConfig({})).toMatchObject({
      apiKey: undefined,
      baseUrl: DEFAULT_BASE_URL,
      demoMode: true,
      port: 4000,
      timeoutMs: 10_000,
      maxRetries: 2,
      retryBaseDelayMs: 500,
      maxUpstreamCalls: 100,
      requestTimeoutMs: 30_000,
      maxUpstreamResponseBytes: 10_000_000,
      maxPageSize: 100,
      lookupBatchSize: 100,
      deduplicateUpstream: true,
      directPost: true,
    });
    expect(loadConfig({ UPSTREAM_DEDUPLICATE: "false" }).deduplicateUpstream).toBe(false);
    expect(loadConfig({ DIRECT_POST: "0" }).directPost).toBe(false);
  });

  it("reads every variable, treating blank values as unset", () => {
    const config = loadConfig({
      LLAMA_CLOUD_API_KEY: "llx-abc",
      LLAMA_CLOUD_BASE_URL: "https://api.cloud.eu.llamaindex.ai/",
      PORT: "8080",
      LLAMA_CLOUD_TIMEOUT_MS: "1500",
      LLAMA_CLOUD_MAX_RETRIES: "0",
      MAX_PAGE_SIZE: " ",
      LOOKUP_BATCH_SIZE: "50",
      MAX_UPSTREAM_CALLS: "7",
      REQUEST_TIMEOUT_MS: "2000",
      MAX_UPSTREAM_RESPONSE_BYTES: "500000",
    });
    expect(config).toMatchObject({
      apiKey: "llx-abc",
      baseUrl: "https://api.cloud.eu.llamaindex.ai",
      demoMode: false,
      port: 8080,
      timeoutMs: 1500,
      maxRetries: 0,
      maxUpstreamCalls: 7,
      requestTimeoutMs: 2000,
      maxUpstreamResponseBytes: 500_000,
      maxPageSize: 100,
      lookupBatchSize: 50,
    });
    expect(loadConfig({ LLAMA_CLOUD_BASE_URL: "http://127.0.0.1:9" }).demoMode).toBe(false);
  });

  it("never runs the demo in production: unconfigured, it is LlamaCloud with callers' own keys", () => {
    expect(loadConfig({ NODE_ENV: "production" })).toMatchObject({
      demoMode: false,
      apiKey: undefined,
      baseUrl: DEFAULT_BASE_URL,
    });
    expect(loadConfig({ NODE_ENV: "development" }).demoMode).toBe(true);
    expect(loadConfig({ NODE_ENV: " " }).demoMode).toBe(true);
  });

  it("refuses a NODE_ENV other than production, development and test, naming the variable", () => {
    expect(loadConfig({ NODE_ENV: "test" }).production).toBe(false);
    for (const typo of ["prod", "Production", "staging"]) {
      expect(() => loadConfig({ NODE_ENV: typo })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: typo })).toThrow(
        `NODE_ENV must be one of production, development, test (got ${JSON.stringify(typo)})`,
      );
    }
  });

  it("logs pretty to a terminal and JSON elsewhere, unless LOG_FORMAT says which", () => {
    expect(loadConfig({}, true).logFormat).toBe("pretty");
    expect(loadConfig({}, false).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "json" }, true).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "pretty" }, false).logFormat).toBe("pretty");
    // Blank is unset, as for every variable: the terminal decides.
    expect(loadConfig({ LOG_FORMAT: " " }, true).logFormat).toBe("pretty");
  });

  it.each(["JSON", "text", "ndjson"])("refuses LOG_FORMAT=%j, naming the variable", (bad) => {
    const attempt = () => loadConfig({ LOG_FORMAT: bad }, false);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`LOG_FORMAT must be one of pretty, json (got ${JSON.stringify(bad)})`);
  });

  it("reads SUBGRAPH_TOKEN, and refuses a weak one without showing it", () => {
    expect(loadConfig({}).subgraphToken).toBeUndefined();
    expect(loadConfig({ SUBGRAPH_TOKEN: " s3cret-s3cret-s3cret " }).subgraphToken).toBe(
      "s3cret-s3cret-s3cret",
    );
    for (const weak of ["short-secret", "sixteen chars ok", "sixteen-chars-ü-ok"]) {
      expect(() => loadConfig({ SUBGRAPH_TOKEN: weak })).toThrow(ConfigError);
      expect(() => loadConfig({ SUBGRAPH_TOKEN: weak })).toThrow(
        `SUBGRAPH_TOKEN must be at least 16 visible ASCII characters, no spaces (got ${weak.length} characters; value not shown)`,
      );
    }
  });

  it("bounds slow and idle clients and drains on shutdown by default, and reads the overrides", () => {
    expect(loadConfig({})).toMatchObject({
      headersTimeoutMs: 10_000,
      requestBodyTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1000,
      shutdownDrainMs: 1000,
    });
    expect(
      loadConfig({
        HEADERS_TIMEOUT_MS: "2000",
        REQUEST_BODY_TIMEOUT_MS: "2000",
        KEEP_ALIVE_TIMEOUT_MS: "65000",
        MAX_CONNECTIONS: "50",
        SHUTDOWN_DRAIN_MS: "0",
      }),
    ).toMatchObject({
      headersTimeoutMs: 2000,
      requestBodyTimeoutMs: 2000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 50,
      shutdownDrainMs: 0,
    });
    for (const [env, message] of [
      [{ HEADERS_TIMEOUT_MS: "0" }, "HEADERS_TIMEOUT_MS must be a whole number from 100 to 600000"],
      [{ KEEP_ALIVE_TIMEOUT_MS: "0" }, "KEEP_ALIVE_TIMEOUT_MS must be a whole number from 1"],
      [{ MAX_CONNECTIONS: "0" }, "MAX_CONNECTIONS must be a whole number from 1 to 1000000"],
      [{ SHUTDOWN_DRAIN_MS: "-1" }, "SHUTDOWN_DRAIN_MS must be a whole number from 0 to 600000"],
      // Node itself refuses a headers timeout above the whole request's: said at start, by name.
      [
        { HEADERS_TIMEOUT_MS: "40000" },
        "HEADERS_TIMEOUT_MS (40000) must not be above REQUEST_BODY_TIMEOUT_MS (30000)",
      ],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  it.each([
    [{ PORT: "eighty" }, 'PORT must be a whole number from 0 to 65535 (got "eighty")'],
    [{ PORT: "70000" }, 'PORT must be a whole number from 0 to 65535 (got "70000")'],
    [
      { LLAMA_CLOUD_TIMEOUT_MS: "1.5" },
      "LLAMA_CLOUD_TIMEOUT_MS must be a whole number from 1 to 600000",
    ],
    [
      { LLAMA_CLOUD_MAX_RETRIES: "-1" },
      "LLAMA_CLOUD_MAX_RETRIES must be a whole number from 0 to 10",
    ],
    [{ MAX_PAGE_SIZE: "0" }, "MAX_PAGE_SIZE must be a whole number from 1 to 1000"],
    [{ LOOKUP_BATCH_SIZE: "1e3" }, "LOOKUP_BATCH_SIZE must be a whole number from 1 to 1000"],
    [
      { UPSTREAM_DEDUPLICATE: "yes" },
      'UPSTREAM_DEDUPLICATE must be true, false, 1 or 0 (got "yes")',
    ],
    [{ DIRECT_POST: "off" }, 'DIRECT_POST must be true, false, 1 or 0 (got "off")'],
    [{ MAX_UPSTREAM_CALLS: "0" }, "MAX_UPSTREAM_CALLS must be a whole number from 1 to 10000"],
    [{ REQUEST_TIMEOUT_MS: "50" }, "REQUEST_TIMEOUT_MS must be a whole number from 100 to 600000"],
    [
      { MAX_UPSTREAM_RESPONSE_BYTES: "10MB" },
      "MAX_UPSTREAM_RESPONSE_BYTES must be a whole number from 100000 to 1000000000",
    ],
    [
      { LLAMA_CLOUD_BASE_URL: "api.cloud.llamaindex.ai" },
      "LLAMA_CLOUD_BASE_URL must be an absolute http(s) URL",
    ],
    [{ LLAMA_CLOUD_BASE_URL: "ftp://example.test" }, "LLAMA_CLOUD_BASE_URL must use http or https"],
    [{ LLAMA_CLOUD_BASE_URL: "https://u:p@example.test" }, "LLAMA_CLOUD_BASE_URL must not carry"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
