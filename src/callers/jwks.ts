/**
 * The identity provider's signing keys (`AUTH_JWKS_URL`), kept here rather than in jose's
 * `createRemoteJWKSet`: its cool-down refuses a token signed with a freshly rotated key for up to
 * 30 s, where this store makes such a token wait for the next allowed fetch instead. jose's
 * `createLocalJWKSet` still does the key selection and import.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Logger } from "pino";

/** A set older than this is re-fetched before use: providers retire keys on their own schedule. */
const MAX_AGE_MS = 10 * 60_000;
/** Longest a JWKS fetch may take; a token's request waits on it. */
const FETCH_TIMEOUT_MS = 5000;
/**
 * Longest a token with an unknown key waits for the cool-down to allow a fetch. Beyond it (a long
 * `AUTH_JWKS_COOLDOWN_MS`) the token is refused at once: a flood of made-up `kid`s must not hold
 * a connection each for minutes.
 */
const MAX_WAIT_MS = 5000;

/** No key could be had from the JWKS URL and none is cached: the authenticator answers 503. */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

/** Keys of the identity provider's JWKS, for jose's jwtVerify. */
export function createJwksKeys(url: string, cooldownMs: number, logger: Logger): JWTVerifyGetKey {
  const target = new URL(url);
  // Origin and path only: a query or user info in the URL may be a credential of the provider's.
  const where = `${target.origin}${target.pathname}`;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  /** When the last fetch started: the cool-down counts from it, successful or not. */
  let attemptedAt: number | undefined;
  let lastFailure: JwksUnavailableError | undefined;
  /** The next fetch, once someone waits for it: every waiter shares it. */
  let next: { at: number; done: Promise<void> } | undefined;

  async function fetchKeys(): Promise<void> {
    attemptedAt = performance.now();
    logger.debug({ url: where }, "fetching the identity provider's JWKS");
    try {
      keys = createLocalJWKSet(await download(url));
      fetchedAt = performance.now();
      lastFailure = undefined;
    } catch (error) {
      const reason = describe(error);
      logger.warn({ url: where, reason }, "could not fetch the identity provider's JWKS");
      lastFailure = new JwksUnavailableError(`JWKS at ${target.origin}: ${reason}`);
    }
  }

  /**
   * Fetches once the cool-down allows, if that is within `maxWaitMs`; false when it is not. A
   * fetch already scheduled or running within that time is joined rather than repeated.
   */
  async function fetchWithin(maxWaitMs: number): Promise<boolean> {
    const now = performance.now();
    if (next === undefined) {
      const at = attemptedAt === undefined ? now : Math.max(now, attemptedAt + cooldownMs);
      if (at - now > maxWaitMs) return false;
      const done = (at > now ? sleep(at - now) : Promise.resolve()).then(fetchKeys).finally(() => {
        next = undefined;
      });
      next = { at, done };
    } else if (next.at - now > maxWaitMs) {
      return false;
    }
    await next.done;
    return true;
  }

  return async (header, token) => {
    if (keys === undefined) {
      await fetchWithin(MAX_WAIT_MS);
      if (keys === undefined) {
        throw lastFailure ?? new JwksUnavailableError(`JWKS at ${target.origin}: not fetched yet`);
      }
    } else if (performance.now() - fetchedAt > MAX_AGE_MS) {
      // Awaited, so a key the provider withdrew stops working; a failure keeps the old set.
      await fetchWithin(0);
    }
    const tried = keys;
    try {
      return await tried(header, token);
    } catch (error) {
      // An unknown kid may be a key published since the last fetch; anything else is final.
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A set that arrived while this token looked is tried first: it may be the one it needs.
      if (keys === tried && !(await fetchWithin(MAX_WAIT_MS))) throw error;
      return keys(header, token);
    }
  };
}

/** GETs and checks the set; throws with the reason it is unusable. */
async function download(url: string): Promise<JSONWebKeySet> {
  // The signal bounds the body as well as the headers: a provider that stalls mid-body times out.
  const response = await fetch(url, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${response.status} but the body is not JSON`);
  }
  if (typeof body !== "object" || body === null || !Array.isArray(Reflect.get(body, "keys"))) {
    throw new Error("the body has no `keys` array");
  }
  return body as JSONWebKeySet;
}

/** A short reason for a log line and a message: a status, an error code or the timeout. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return `no answer within ${FETCH_TIMEOUT_MS} ms`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string") return `connection failed (${cause.code})`;
  if (error instanceof errors.JOSEError) return `the key set is malformed (${error.message})`;
  return error.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
