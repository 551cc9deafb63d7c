import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { SharedRedis } from "../shared/index.js";
import { GatewayError } from "../upstream/errors.js";

/** Counts one caller's GraphQL requests in a sliding minute. */
export interface RateLimiter {
  /** Resolves when the request may go on; throws RATE_LIMITED (HTTP 429) when it may not. */
  consume(key: string): Promise<void>;
}

/**
 * `perMinute` requests per key per minute. Without `shared`, counted in this process. With it,
 * counted in Redis (one atomic INCR script per request, under
 * `<REDIS_PREFIX>rate-limit:<key>`), so a caller gets `perMinute` across every replica; while
 * Redis is away or a command fails, this replica counts in process instead (`orLocal`, which logs
 * and counts the fallback), and goes back to Redis when it returns.
 */
export function createRateLimiter(perMinute: number, shared?: SharedRedis): RateLimiter {
  const local = new RateLimiterMemory({ points: perMinute, duration: 60 });
  // ioredis prefixes the key with REDIS_PREFIX; the limiter's own prefix names the feature.
  const cluster =
    shared &&
    new RateLimiterRedis({
      storeClient: shared.client,
      keyPrefix: "rate-limit",
      points: perMinute,
      duration: 60,
      // Fail at once while ioredis reconnects, rather than after a command timeout.
      rejectIfRedisNotReady: true,
    });
  return {
    async consume(key) {
      const refusal =
        shared === undefined || cluster === undefined
          ? await attempt(local, key)
          : await shared.orLocal(
              "rate-limit",
              () => attempt(cluster, key),
              () => attempt(local, key),
            );
      if (refusal === undefined) return;
      // At least 1: `Retry-After: 0` would invite an immediate retry that is refused again.
      const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw new GatewayError(
        "RATE_LIMITED",
        `Too many requests: at most ${perMinute} a minute for each caller (RATE_LIMIT_PER_MINUTE); try again in ${retryAfter} s`,
        { retryAfter, http: { status: 429, headers: { "retry-after": String(retryAfter) } } },
      );
    },
  };
}

/**
 * One request counted: undefined when it may go on, the limiter's verdict when it may not. A
 * store's failure (Redis down, a timeout) is thrown, so that `orLocal` tells it from a refusal.
 */
async function attempt(
  limiter: RateLimiterAbstract,
  key: string,
): Promise<RateLimiterRes | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (refusal) {
    // The library rejects with a RateLimiterRes when the key is over its points, and with an
    // Error only when its store fails (the memory store does not).
    if (refusal instanceof RateLimiterRes) return refusal;
    throw refusal;
  }
}

/**
 * The client's address: the socket's peer, or, behind `trustProxy` proxies that each append the
 * address they received from to `X-Forwarded-For`, the entry the outermost trusted proxy wrote.
 * Entries to the left of it were written by the client itself and could be anything.
 */
export function clientAddress(
  req: IncomingMessage | undefined,
  request: Request,
  trustProxy: number,
): string {
  const peer = req?.socket.remoteAddress ?? "unknown";
  if (trustProxy === 0) return peer;
  const forwarded = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  // With one proxy the last entry is the client as that proxy saw it; with two, the one before.
  const entry = forwarded[forwarded.length - trustProxy];
  // A missing or malformed entry (the header was shorter than the proxies configured, or a
  // proxy passed garbage through) counts as the proxy's own address, never as a free new key.
  return entry !== undefined && isIP(entry) !== 0 ? entry : peer;
}
