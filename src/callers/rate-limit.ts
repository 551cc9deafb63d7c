import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { GatewayError } from "../upstream/errors.js";

/** Counts one caller's GraphQL requests in a sliding minute. */
export interface RateLimiter {
  /** Resolves when the request may go on; throws RATE_LIMITED (HTTP 429) when it may not. */
  consume(key: string): Promise<void>;
}

/**
 * `perMinute` requests per key per minute, counted in this process. rate-limiter-flexible's
 * other stores (Redis among them) take the same calls, so counters can move to shared state
 * without touching the callers of this module.
 */
export function createRateLimiter(perMinute: number): RateLimiter {
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (refusal) {
        // The library rejects with a RateLimiterRes when the key is over its points, and with an
        // Error only when its store fails (the memory store does not).
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        // At least 1: `Retry-After: 0` would invite an immediate retry that is refused again.
        const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
        throw new GatewayError(
          "RATE_LIMITED",
          `Too many requests: at most ${perMinute} a minute for each caller (RATE_LIMIT_PER_MINUTE); try again in ${retryAfter} s`,
          { retryAfter, http: { status: 429, headers: { "retry-after": String(retryAfter) } } },
        );
      }
    },
  };
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
