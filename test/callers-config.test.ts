import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const SECRET = "0123456789abcdef0123456789abcdef"; // 32 bytes: the least HS256 takes
const KEY = { LLAMA_CLOUD_API_KEY: "llx-server-key" };

/** The ConfigError `env` is refused with (fails the test when it is accepted). */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe("the callers' configuration", () => {
  it("turns everything off by default", () => {
    expect(loadConfig({}).callers).toEqual({
      auth: undefined,
      rateLimitPerMinute: 0,
      trustProxy: 0,
      persistedDocuments: [],
      persistedDocumentsOnly: false,
    });
  });

  it("reads a shared secret with its issuer, audiences, project claim and cool-down", () => {
    const { auth } = loadConfig({
      ...KEY,
      AUTH_JWT_SECRET: SECRET,
      AUTH_ISSUER: "https://issuer.test/",
      AUTH_AUDIENCE: " web, mobile ,,",
      AUTH_PROJECT_CLAIM: "llama_projects",
    }).callers;
    expect(auth).toEqual({
      jwtSecret: SECRET,
      jwksUrl: undefined,
      issuer: "https://issuer.test/",
      audience: ["web", "mobile"],
      projectClaim: "llama_projects",
      jwksCooldownMs: 1000,
    });
  });

  it("reads a JWKS URL and its cool-down", () => {
    const { auth } = loadConfig({
      ...KEY,
      AUTH_JWKS_URL: "https://idp.test/.well-known/jwks.json",
      AUTH_JWKS_COOLDOWN_MS: "60000",
    }).callers;
    expect(auth).toMatchObject({
      jwtSecret: undefined,
      jwksUrl: "https://idp.test/.well-known/jwks.json",
      jwksCooldownMs: 60_000,
    });
  });

  it("refuses a secret and a JWKS URL together", () => {
    const env = { ...KEY, AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: "https://idp.test/jwks" };
    expect(refusal(env).message).toMatch(/AUTH_JWT_SECRET and AUTH_JWKS_URL are both set/);
  });

  it("refuses a secret under 32 bytes without showing it, counting bytes, not characters", () => {
    const short = "hunter2-is-not-a-secret";
    const message = refusal({ ...KEY, AUTH_JWT_SECRET: short }).message;
    expect(message).toMatch(
      /AUTH_JWT_SECRET must be at least 32 bytes \(got 23; value not shown\)/,
    );
    expect(message).not.toContain("hunter2");
    // 16 two-byte characters are 32 bytes: enough.
    expect(loadConfig({ ...KEY, AUTH_JWT_SECRET: "é".repeat(16) }).callers.auth).toBeDefined();
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), (secret) => {
        const trimmed = secret.trim();
        fc.pre(trimmed !== "");
        const accepted = Buffer.byteLength(trimmed, "utf8") >= 32;
        if (accepted)
          expect(loadConfig({ ...KEY, AUTH_JWT_SECRET: secret }).callers.auth).toBeDefined();
        else expect(refusal({ ...KEY, AUTH_JWT_SECRET: secret }).message).toMatch(/32 bytes/);
      }),
    );
  });

  it.each(["AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_PROJECT_CLAIM"])(
    "refuses %s when authentication is off, naming it",
    (name) => {
      expect(refusal({ ...KEY, [name]: "x" }).message).toBe(
        `${name} is set but authentication is off: set AUTH_JWT_SECRET or AUTH_JWKS_URL too`,
      );
    },
  );

  it.each([
    ["in production", { NODE_ENV: "production" }],
    ["against a configured base URL", { LLAMA_CLOUD_BASE_URL: "https://api.example.test" }],
  ])("refuses authentication without LLAMA_CLOUD_API_KEY %s", (_name, env) => {
    const modes: Array<Record<string, string>> = [
      { AUTH_JWT_SECRET: SECRET },
      { AUTH_JWKS_URL: "https://idp.test/j" },
    ];
    for (const auth of modes) {
      expect(refusal({ ...env, ...auth }).message).toMatch(/set LLAMA_CLOUD_API_KEY/);
      expect(loadConfig({ ...env, ...auth, ...KEY }).callers.auth).toBeDefined();
    }
  });

  it("allows authentication in demo mode, served with the demo's key", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET });
    expect(config.demoMode).toBe(true);
    expect(config.callers.auth?.jwtSecret).toBe(SECRET);
  });

  it.each([
    ["AUTH_JWKS_URL", "ftp://idp.test/jwks", /AUTH_JWKS_URL must be an http\(s\) URL/],
    ["AUTH_JWKS_URL", "not a url", /AUTH_JWKS_URL must be an http\(s\) URL/],
    ["AUTH_JWKS_COOLDOWN_MS", "soon", /AUTH_JWKS_COOLDOWN_MS must be a whole number/],
    ["AUTH_JWKS_COOLDOWN_MS", "-1", /AUTH_JWKS_COOLDOWN_MS must be a whole number/],
    ["AUTH_AUDIENCE", " , ,", /AUTH_AUDIENCE names no audience/],
  ])("refuses %s=%j", (name, value, message) => {
    const env = { ...KEY, AUTH_JWKS_URL: "https://idp.test/jwks", [name]: value };
    expect(refusal(env).message).toMatch(message);
  });

  it.each([
    [undefined, 0],
    ["false", 0],
    ["0", 0],
    ["true", 1],
    ["TRUE", 1],
    ["1", 1],
    ["2", 2],
  ])("reads TRUST_PROXY=%s as %i proxies", (value, proxies) => {
    const env = value === undefined ? {} : { TRUST_PROXY: value };
    expect(loadConfig(env).callers.trustProxy).toBe(proxies);
  });

  it.each(["abc", "-1", "1.5", "yes", "1000"])("refuses TRUST_PROXY=%s", (value) => {
    expect(refusal({ TRUST_PROXY: value }).message).toMatch(/^TRUST_PROXY must be true, false/);
  });

  it("reads RATE_LIMIT_PER_MINUTE, refusing what is not a count", () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: "30" }).callers.rateLimitPerMinute).toBe(30);
    expect(refusal({ RATE_LIMIT_PER_MINUTE: "-5" }).message).toMatch(/RATE_LIMIT_PER_MINUTE/);
  });

  it.each([
    ["production, a manifest", { NODE_ENV: "production", PERSISTED_DOCUMENTS: "a.json" }, true],
    ["production, no manifest", { NODE_ENV: "production" }, false],
    ["development, a manifest", { PERSISTED_DOCUMENTS: "a.json" }, false],
    [
      "production, a manifest, relaxed",
      { NODE_ENV: "production", PERSISTED_DOCUMENTS: "a.json", PERSISTED_DOCUMENTS_ONLY: "false" },
      false,
    ],
    [
      "development, a manifest, asked",
      { PERSISTED_DOCUMENTS: "a.json", PERSISTED_DOCUMENTS_ONLY: "1" },
      true,
    ],
    ["no manifest, asked", { PERSISTED_DOCUMENTS_ONLY: "true" }, false],
  ])("PERSISTED_DOCUMENTS_ONLY with %s: %s", (_name, env, only) => {
    expect(loadConfig(env).callers.persistedDocumentsOnly).toBe(only);
  });

  it("reads a comma-separated list of manifests, and refuses a bad PERSISTED_DOCUMENTS_ONLY", () => {
    const env = { PERSISTED_DOCUMENTS: " a.json, dir/b.json ,," };
    expect(loadConfig(env).callers.persistedDocuments).toEqual(["a.json", "dir/b.json"]);
    expect(refusal({ ...env, PERSISTED_DOCUMENTS_ONLY: "maybe" }).message).toMatch(
      /PERSISTED_DOCUMENTS_ONLY must be true, false, 1 or 0/,
    );
  });
});
