import {
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { Logger } from "pino";
import { GatewayError } from "../upstream/errors.js";
import type { Caller } from "./caller.js";
import type { AuthConfig } from "./config.js";
import { createJwksKeys, JwksUnavailableError } from "./jwks.js";

/** Turns a request's `Authorization` header into its caller, or refuses it. */
export interface Authenticator {
  /**
   * The caller of a valid `Bearer <JWT>`; throws UNAUTHENTICATED (401) for a missing or bad
   * token, FORBIDDEN (403) for a good token without the project claim, AUTH_PROVIDER_UNAVAILABLE
   * (503) when the identity provider's keys cannot be fetched. No message quotes the token.
   */
  authenticate(header: string | null): Promise<Caller>;
}

/** With a shared secret, HMAC only; with a JWKS, public-key algorithms only (no key confusion). */
const HMAC = ["HS256", "HS384", "HS512"];
const PUBLIC_KEY = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

const REALM = 'Bearer realm="parse-jobs-graphql"';

/** Builds the authenticator for the configured secret or JWKS. */
export function createAuthenticator(auth: AuthConfig, logger: Logger): Authenticator {
  const algorithms = auth.jwtSecret !== undefined ? HMAC : PUBLIC_KEY;
  const secret =
    auth.jwtSecret === undefined ? undefined : new TextEncoder().encode(auth.jwtSecret);
  const keys: JWTVerifyGetKey | undefined =
    auth.jwksUrl === undefined
      ? undefined
      : createJwksKeys(auth.jwksUrl, auth.jwksCooldownMs, logger);
  const options = {
    algorithms,
    issuer: auth.issuer,
    audience: auth.audience,
    // A token without an expiry would be good forever once leaked.
    requiredClaims: ["exp"],
  };

  async function verify(token: string): Promise<JWTPayload> {
    if (keys !== undefined) {
      try {
        return (await jwtVerify(token, keys, options)).payload;
      } catch (error) {
        if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
        // A token without `kid` while the set holds two keys of its type (mid-rotation): jose
        // yields each candidate, and the one that verifies the signature wins.
        for await (const key of error) {
          try {
            return (await jwtVerify(token, key, options)).payload;
          } catch (attempt) {
            if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
          }
        }
        throw new errors.JWSSignatureVerificationFailed();
      }
    }
    if (secret !== undefined) return (await jwtVerify(token, secret, options)).payload;
    throw new Error("authentication configured with neither a secret nor a JWKS");
  }

  return {
    async authenticate(header) {
      const token = bearerToken(header);
      // Said plainly before jose sees it: an unsigned token is never a caller.
      if (algorithmOf(token) === "none") {
        throw unauthenticated("unsigned tokens (alg none) are not accepted");
      }
      let payload: JWTPayload;
      try {
        payload = await verify(token);
      } catch (error) {
        throw refusalFor(error, algorithms);
      }
      return {
        subject: typeof payload.sub === "string" ? payload.sub : undefined,
        projects:
          auth.projectClaim === undefined ? undefined : projectsOf(payload, auth.projectClaim),
      };
    },
  };
}

/** The token of `Authorization: Bearer <token>`, or UNAUTHENTICATED saying what is wrong. */
function bearerToken(header: string | null): string {
  if (header === null || header.trim() === "") {
    // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
    throw new GatewayError(
      "UNAUTHENTICATED",
      "Authentication required: send `Authorization: Bearer <JWT>`",
      { http: { status: 401, headers: { "www-authenticate": REALM } } },
    );
  }
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (match?.[1] === undefined) {
    throw unauthenticated("the Authorization header must be `Bearer <JWT>`");
  }
  return match[1];
}

/** The `alg` of the token's header, or undefined when the header cannot be read. */
function algorithmOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
}

/** The projects the claim holds: one string, or a non-empty list of them. */
function projectsOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (value === undefined) {
    throw forbidden(`the token has no ${JSON.stringify(claim)} claim, which lists your projects`);
  }
  const projects = typeof value === "string" ? [value] : value;
  if (
    !Array.isArray(projects) ||
    projects.length === 0 ||
    !projects.every((project) => typeof project === "string" && project.trim() !== "")
  ) {
    throw forbidden(
      `the token's ${JSON.stringify(claim)} claim must be a project id or a non-empty list of them`,
    );
  }
  return [...new Set(projects as string[])].sort();
}

/** What a failed verification tells the caller: which check failed, never the token. */
function refusalFor(error: unknown, algorithms: readonly string[]): GatewayError {
  if (error instanceof JwksUnavailableError) {
    return new GatewayError(
      "AUTH_PROVIDER_UNAVAILABLE",
      `The identity provider's keys cannot be fetched (${error.message}); try again shortly`,
      { http: { status: 503, headers: { "retry-after": "5" } } },
    );
  }
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    const when = typeof exp === "number" ? ` at ${new Date(exp * 1000).toISOString()}` : "";
    return unauthenticated(`the token expired${when}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthenticated(claimFailure(error.claim, error.reason));
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthenticated(
      `the token's signing algorithm is not accepted here (accepted: ${algorithms.join(", ")})`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated("the token's signature does not verify");
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated("no key of the identity provider (AUTH_JWKS_URL) matches the token");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return unauthenticated(
      "the token is not a well-formed JWT (header.payload.signature, each base64url)",
    );
  }
  if (error instanceof errors.JOSEError) {
    return unauthenticated(`the token cannot be verified (${error.code})`);
  }
  // Not jose's: a bug, which Yoga masks as an internal error rather than a 401.
  throw error;
}

function claimFailure(claim: string, reason: string): string {
  switch (claim) {
    case "nbf":
      return "the token is not valid yet (nbf)";
    case "iss":
      return "the token's issuer is not the one this gateway accepts (AUTH_ISSUER)";
    case "aud":
      return "the token's audience is not one this gateway accepts (AUTH_AUDIENCE)";
    case "exp":
      return reason === "missing"
        ? "the token has no expiry (exp); tokens must expire"
        : "the token's expiry (exp) is not a number";
    default:
      return `the token's ${JSON.stringify(claim)} claim failed validation (${reason})`;
  }
}

function unauthenticated(reason: string): GatewayError {
  return new GatewayError("UNAUTHENTICATED", `Invalid token: ${reason}`, {
    http: {
      status: 401,
      headers: { "www-authenticate": `${REALM}, error="invalid_token"` },
    },
  });
}

function forbidden(reason: string): GatewayError {
  return new GatewayError("FORBIDDEN", `Token refused: ${reason}`, {
    http: { status: 403 },
  });
}
