import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { SharedConfig } from "./config.js";

/** The features that share state through Redis, as metrics and logs name them. */
export type SharedFeature = "response-cache" | "rate-limit" | "live-status" | "webhooks";

/**
 * One Redis for the replicas, and what happens when it is not there. Every command fails fast
 * (no offline queue, `REDIS_TIMEOUT_MS` per command) so that a caller can fall back to its
 * in-process behaviour at once; the client keeps reconnecting in the background, and `available`
 * turns true again when it is back, without a restart. The loss and the return are logged once
 * each.
 */
export class SharedRedis {
  /** Commands (GET, SET, EVAL, PUBLISH, …). */
  readonly client: Redis;
  /** The prefix of every key and channel (`REDIS_PREFIX`), applied by ioredis to commands. */
  readonly prefix: string;
  private up = false;
  /** Set by `close()`: the connections going away then is no outage to report. */
  private closing = false;
  private readonly listeners = new Set<(available: boolean) => void>();
  private subscriberConnection: Redis | undefined;

  constructor(
    private readonly config: SharedConfig & { redisUrl: string },
    private readonly logger: Logger,
    private readonly onFallback: (feature: SharedFeature) => void = () => {},
  ) {
    this.prefix = config.redisPrefix;
    this.client = this.connect("commands");
    this.client.on("ready", () => this.set(true));
    this.client.on("close", () => this.set(false));
  }

  /** True while the command connection is ready; false means: use the in-process fallback. */
  get available(): boolean {
    return this.up;
  }

  /** Told each time Redis comes or goes. */
  onAvailability(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A second connection for SUBSCRIBE (a subscribed connection takes no other command), opened at
   * the first use. ioredis re-subscribes its channels on reconnection.
   */
  subscriber(): Redis {
    this.subscriberConnection ??= this.connect("subscriber");
    return this.subscriberConnection;
  }

  /**
   * Runs `shared` against Redis, or `local` when Redis is unavailable or the command fails or
   * times out; a fallback is counted under `feature`. Never throws Redis's errors.
   */
  async orLocal<T>(
    feature: SharedFeature,
    shared: () => Promise<T>,
    local: () => T | Promise<T>,
  ): Promise<T> {
    if (this.up) {
      try {
        return await shared();
      } catch (error) {
        this.logger.debug({ msg: "redis command failed", feature, error: describe(error) });
      }
    }
    this.onFallback(feature);
    return local();
  }

  /** Closes both connections (shutdown). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.client, this.subscriberConnection].map((connection) =>
        connection?.quit().catch(() => connection.disconnect()),
      ),
    );
  }

  private connect(role: "commands" | "subscriber"): Redis {
    const connection = new Redis(this.config.redisUrl, {
      keyPrefix: role === "commands" ? this.prefix : undefined,
      // A command sent while disconnected fails at once instead of waiting in a queue: the
      // request that needed it falls back rather than waiting for Redis.
      enableOfflineQueue: role === "subscriber",
      maxRetriesPerRequest: 0,
      commandTimeout: role === "commands" ? this.config.redisTimeoutMs : undefined,
      connectTimeout: Math.max(1000, this.config.redisTimeoutMs),
      // Reconnect forever, at most every 2 s: sharing resumes when Redis is back.
      retryStrategy: (attempt) => Math.min(2000, 100 * attempt),
      lazyConnect: false,
    });
    // Without a listener, ioredis prints every connection error; the availability log says it once.
    connection.on("error", (error: unknown) => {
      this.logger.debug({ msg: "redis connection error", role, error: describe(error) });
    });
    return connection;
  }

  private set(available: boolean): void {
    if (available === this.up) return;
    this.up = available;
    if (this.closing) return;
    if (available) {
      this.logger.info({ msg: "redis available: replicas share state again" });
    } else {
      this.logger.warn({
        msg: "redis unavailable: each replica falls back to its in-process state until it returns",
      });
    }
    for (const listener of this.listeners) listener(available);
  }
}

/** An error's code and message, without the URL (which may carry a password). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${error.message}` : error.message;
}
