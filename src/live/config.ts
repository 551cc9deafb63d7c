/** Live job status settings: the poll behind `parseJobUpdates` and LlamaCloud's webhooks. */
import { ConfigError, type Env, integer, optionalString } from "../config-env.js";

export interface LiveConfig {
  /** How often a caller's poll re-reads the jobs its subscribers watch, in ms (`STATUS_POLL_MS`). */
  statusPollMs: number;
  /** Most subscriptions one caller may hold open at once (`MAX_SUBSCRIPTIONS_PER_CALLER`). */
  maxSubscriptionsPerCaller: number;
  /** Verifies `POST /webhooks/llamacloud`; unset, the route is off (`LLAMA_CLOUD_WEBHOOK_SECRET`). */
  webhookSecret: string | undefined;
}

/** Reads the live status settings. */
export function readLiveConfig(env: Env): LiveConfig {
  return {
    statusPollMs: integer(env, "STATUS_POLL_MS", 2000, 250, 3_600_000),
    maxSubscriptionsPerCaller: integer(env, "MAX_SUBSCRIPTIONS_PER_CALLER", 20, 1, 10_000),
    webhookSecret: webhookSecret(env),
  };
}

/** A secret, so its value never appears in a message. */
function webhookSecret(env: Env): string | undefined {
  const secret = optionalString(env, "LLAMA_CLOUD_WEBHOOK_SECRET");
  if (secret !== undefined && Buffer.byteLength(secret, "utf8") < 16) {
    throw new ConfigError(
      `LLAMA_CLOUD_WEBHOOK_SECRET must be at least 16 bytes (got ${Buffer.byteLength(secret, "utf8")}; value not shown)`,
    );
  }
  return secret;
}
