/**
 * Leases and Lua scripts over the shared Redis (src/shared/redis.ts), for any feature that needs
 * one replica at a time to do something for the cluster (the live status poll, src/live/).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script, run by its SHA1 (EVALSHA) and sent in full (EVAL) only when the server does not
 * know it yet, as after a restart. Keys get the client's prefix (`REDIS_PREFIX`) like any key.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(
    client: Redis,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Renews a lease its owner holds, else takes it with `SET NX PX` if nobody does. The owner check
 * and the renewal are one step (a compare-and-set): a replica whose lease lapsed while it was
 * away cannot extend the lease another replica has taken since. Answers {1, ttl} when the caller
 * holds it now, {0, the owner's remaining ms} when another does.
 */
const CLAIM = new RedisScript(`
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(ARGV[2])}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, tonumber(ARGV[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`);

/** Deletes a lease only if the caller still owns it (compare-and-delete). */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export interface LeaseClaim {
  held: boolean;
  /** How long the lease lasts from now: ours, or (not held) the current owner's. */
  ttlMs: number;
}

/**
 * One lease: at most one owner at a time, for `ttlMs` unless renewed (the single-instance Redis
 * lock). The owner renews it well within `ttlMs`; an owner that stops (crash, partition) loses it
 * when it lapses, and the next `claim()` by another takes it. Commands fail as the client's do
 * (fast, when Redis is away): callers decide what that means.
 */
export class Lease {
  constructor(
    private readonly client: Redis,
    readonly key: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease. */
  async claim(): Promise<LeaseClaim> {
    const answer = await CLAIM.run(this.client, [this.key], [this.owner, this.ttlMs]);
    const [held, ttl] = Array.isArray(answer) ? answer : [];
    // PTTL is negative when the key vanished or has no expiry: try again after a full term.
    return { held: held === 1, ttlMs: typeof ttl === "number" && ttl >= 0 ? ttl : this.ttlMs };
  }

  /** Gives the lease up if this owner holds it; true when it did. */
  async release(): Promise<boolean> {
    return (await RELEASE.run(this.client, [this.key], [this.owner])) === 1;
  }
}
