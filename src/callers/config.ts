/**
 * The callers' settings: authentication (AUTH_*), rate limits and trusted documents. Read with the
 * rest of the configuration (src/config.ts), once, at start.
 */
import { boolean, ConfigError, type Env, integer, optionalString } from "../config-env.js";

/** How callers prove who they are: a shared secret or the identity provider's published keys. */
export interface AuthConfig {
  /** HS256/384/512 secret (`AUTH_JWT_SECRET`); exclusive with `jwksUrl`. */
  jwtSecret: string | undefined;
  /** The identity provider's JWKS (`AUTH_JWKS_URL`): RS/PS/ES/EdDSA keys, cached. */
  jwksUrl: string | undefined;
  /** Required `iss` (`AUTH_ISSUER`). */
  issuer: string | undefined;
  /** Accepted `aud` values (`AUTH_AUDIENCE`, comma-separated); the token needs one of them. */
  audience: string[] | undefined;
  /** The claim listing the LlamaCloud projects a caller may see (`AUTH_PROJECT_CLAIM`). */
  projectClaim: string | undefined;
  /** At most one JWKS fetch per this many ms (`AUTH_JWKS_COOLDOWN_MS`). */
  jwksCooldownMs: number;
}

export interface CallersConfig {
  /** Undefined when authentication is off (the default). */
  auth: AuthConfig | undefined;
  /** GraphQL requests per minute per caller; 0 turns the limit off (the default). */
  rateLimitPerMinute: number;
  /**
   * How many reverse proxies in front of the gateway append to `X-Forwarded-For`; 0 (the
   * default) ignores the header and takes the socket's address.
   */
  trustProxy: number;
  /** Manifest files of trusted documents (`PERSISTED_DOCUMENTS`, comma-separated). */
  persistedDocuments: string[];
  /** With a manifest: refuse any document not named by id (default: on in production). */
  persistedDocumentsOnly: boolean;
}

/** RFC 7518 §3.2: an HMAC key at least as long as the hash (256 bits for HS256). */
const MIN_SECRET_BYTES = 32;

/** Reads the callers' settings; `serverKey` says whether the gateway has a key to serve them with. */
export function readCallersConfig(
  env: Env,
  production: boolean,
  serverKey: boolean,
): CallersConfig {
  const persistedDocuments = (optionalString(env, "PERSISTED_DOCUMENTS") ?? "")
    .split(",")
    .map((path) => path.trim())
    .filter((path) => path !== "");
  const only = boolean(env, "PERSISTED_DOCUMENTS_ONLY", production);
  return {
    auth: readAuth(env, serverKey),
    rateLimitPerMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 0, 0, 1_000_000),
    trustProxy: trustProxy(env),
    persistedDocuments,
    persistedDocumentsOnly: persistedDocuments.length > 0 && only,
  };
}

function readAuth(env: Env, serverKey: boolean): AuthConfig | undefined {
  const jwtSecret = optionalString(env, "AUTH_JWT_SECRET");
  const jwksUrl = optionalString(env, "AUTH_JWKS_URL");
  const issuer = optionalString(env, "AUTH_ISSUER");
  const audience = optionalString(env, "AUTH_AUDIENCE");
  const projectClaim = optionalString(env, "AUTH_PROJECT_CLAIM");
  if (jwtSecret === undefined && jwksUrl === undefined) {
    // A claim check without authentication would silently check nothing.
    const orphan = (
      [
        ["AUTH_ISSUER", issuer],
        ["AUTH_AUDIENCE", audience],
        ["AUTH_PROJECT_CLAIM", projectClaim],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (orphan !== undefined) {
      throw new ConfigError(
        `${orphan[0]} is set but authentication is off: set AUTH_JWT_SECRET or AUTH_JWKS_URL too`,
      );
    }
    return undefined;
  }
  if (jwtSecret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError(
      "AUTH_JWT_SECRET and AUTH_JWKS_URL are both set: choose one (a shared secret, or the identity provider's keys)",
    );
  }
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret, "utf8") < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `AUTH_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (got ${Buffer.byteLength(jwtSecret, "utf8")}; value not shown)`,
    );
  }
  if (!serverKey) {
    throw new ConfigError(
      "AUTH_JWT_SECRET or AUTH_JWKS_URL is set, so callers are served with the server's key: set LLAMA_CLOUD_API_KEY",
    );
  }
  const audiences = audience
    ?.split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
  if (audiences?.length === 0) {
    // An empty list would refuse every token, each with "wrong audience".
    throw new ConfigError(`AUTH_AUDIENCE names no audience (got ${JSON.stringify(audience)})`);
  }
  return {
    jwtSecret,
    jwksUrl: jwksUrl === undefined ? undefined : parseJwksUrl(jwksUrl),
    issuer,
    audience: audiences,
    projectClaim,
    jwksCooldownMs: integer(env, "AUTH_JWKS_COOLDOWN_MS", 1000, 0, 3_600_000),
  };
}

function parseJwksUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    // The value is not shown: a URL may carry credentials (`https://user:pass@…`).
    const scheme = url === undefined ? "not a URL" : `scheme ${url.protocol}`;
    throw new ConfigError(`AUTH_JWKS_URL must be an http(s) URL (got ${scheme}; value not shown)`);
  }
  return url.href;
}

/** `TRUST_PROXY`: `false`/`0` (default), `true` (one proxy), or the number of proxies. */
function trustProxy(env: Env): number {
  const raw = optionalString(env, "TRUST_PROXY")?.toLowerCase();
  if (raw === undefined || raw === "false") return 0;
  if (raw === "true") return 1;
  if (!/^\d{1,3}$/.test(raw)) {
    throw new ConfigError(
      `TRUST_PROXY must be true, false or the number of proxies in front of the gateway (got ${JSON.stringify(raw)})`,
    );
  }
  return Number(raw);
}
