import { GatewayError } from "./upstream/errors.js";

/**
 * Picks the `Authorization` value for the upstream: the caller's own `Bearer …` header as it came,
 * else the configured key. Returns an error instead when there is neither (or the header is not a
 * bearer token), so that it is raised only when an upstream call is actually needed.
 */
export function chooseAuthorization(
  header: string | null,
  apiKey: string | undefined,
): string | GatewayError {
  if (header !== null && header.trim() !== "") {
    if (/^Bearer +\S+$/i.test(header.trim())) return header.trim();
    return new GatewayError(
      "UNAUTHENTICATED",
      "The Authorization header must be `Bearer <LlamaCloud API key>`",
    );
  }
  if (apiKey !== undefined) return `Bearer ${apiKey}`;
  return new GatewayError(
    "UNAUTHENTICATED",
    "No LlamaCloud credentials: send `Authorization: Bearer <key>`, or start the gateway with LLAMA_CLOUD_API_KEY",
  );
}
