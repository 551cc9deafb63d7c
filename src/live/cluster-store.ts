/**
 * The Redis side of the cluster's shared status poll (src/live/cluster.ts): every key, channel
 * and script it uses, and nothing else. Per credential scope (the poller key: a SHA-256 of the
 * credential and projects, so safe to name things by):
 *
 * - `live:lease:<scope>`: the replica polling for the cluster (src/shared/lease.ts), for two
 *   intervals unless renewed: one late renewal is tolerated, and a dead holder's lease lapses two
 *   intervals after its last renewal at most.
 * - `live:watch:<scope>`: a sorted set of `<replicaId>|<jobId>` scored by expiry (by Redis's own
 *   clock, so replicas' clocks need not agree), refreshed by each replica every interval for the
 *   ids its subscribers watch. Members live three intervals: a dead replica's ids fade out of the
 *   poll then, while one missed refresh drops nothing.
 * - `live:state:<scope>:<jobId>`: the holder's latest read of a job, kept for two intervals, the
 *   lease's term: a state there is one a live holder read recently enough to stand in for a
 *   first read, and once it is gone it is no use to anyone.
 * - channel `live:changes:<scope>`: the jobs whose state changed in a holder's read, and a note
 *   when a holder gives the lease up; channel `live:nudge`: webhooks' job ids, for every replica.
 *
 * Keys get the client's prefix (`REDIS_PREFIX`) from ioredis; channels get it here.
 */
import { Lease, type LeaseClaim, RedisScript } from "../shared/lease.js";
import type { SharedRedis } from "../shared/redis.js";
import { GatewayError } from "../upstream/errors.js";
import { decodeStamped, encodeStamped, type Stamped } from "./wire.js";

/**
 * Registers the ids watched here (ARGV[4 … 3+n]) until now + lifetime, drops those no longer
 * watched here (the rest of ARGV) and every member past its expiry, and answers Redis's clock
 * and the members still alive: the cluster's union.
 */
const MEMBERSHIP = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, 3 + n do redis.call('ZADD', KEYS[1], now + ttl, me .. '|' .. ARGV[i]) end
for i = 4 + n, #ARGV do redis.call('ZREM', KEYS[1], me .. '|' .. ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if n > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return {now, redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')}
`);

/** One heartbeat's findings for a scope. */
export interface Beat extends LeaseClaim {
  /** Every id some live replica watches. */
  union: Set<string>;
  /** The holder's latest states of the ids watched here, in order (undefined: none fresh). */
  states: Array<Stamped | undefined>;
}

/** A message on a scope's changes channel. */
export type ChangesMessage =
  | { from: string; released: true }
  | { from: string; results: Stamped[] };

export class ClusterStore {
  /** The lease's term, and how long a state is kept. */
  readonly leaseMs: number;
  private readonly memberMs: number;
  /**
   * Redis's clock minus this process's, as of the last beat. Reads are stamped on Redis's clock,
   * so that replicas compare when their reads started without their clocks having to agree.
   */
  private offsetMs = 0;
  /** What the readings so far allow the offset to be: it lies between these. */
  private offsetLow = Number.NEGATIVE_INFINITY;
  private offsetHigh = Number.POSITIVE_INFINITY;
  private offsetSince = 0;

  constructor(
    private readonly redis: SharedRedis,
    readonly replicaId: string,
    statusPollMs: number,
  ) {
    this.leaseMs = 2 * statusPollMs;
    this.memberMs = 3 * statusPollMs;
  }

  /** A `performance.now()` time of this process on Redis's clock (epoch ms). */
  stamp(localMs: number): number {
    return performance.timeOrigin + localMs + this.offsetMs;
  }

  /** A time on Redis's clock as a `performance.now()` time of this process. */
  local(stampMs: number): number {
    return stampMs - this.offsetMs - performance.timeOrigin;
  }

  /** A channel's full name (SUBSCRIBE and PUBLISH take no key prefix from ioredis). */
  channel(name: string): string {
    return `${this.redis.prefix}live:${name}`;
  }

  changesChannel(scope: string): string {
    return this.channel(`changes:${scope}`);
  }

  /**
   * A replica's beat for a scope, in one round trip: registers `ids` (forgets `gone`), claims the
   * lease while it watches anything (gives it up when it does not), and reads the states held.
   */
  async beat(scope: string, ids: readonly string[], gone: readonly string[]): Promise<Beat> {
    const [members, claim, states] = await Promise.all([
      this.members(scope, ids, gone),
      ids.length > 0
        ? this.lease(scope).claim()
        : this.release(scope).then((): LeaseClaim => ({ held: false, ttlMs: this.leaseMs })),
      this.states(scope, ids),
    ]);
    return { ...claim, union: members, states };
  }

  /** The cluster's union as it stands (registering nothing). */
  union(scope: string): Promise<Set<string>> {
    return this.members(scope, [], []);
  }

  /** The holder's latest states of `ids`, as far as Redis still keeps them. */
  async states(scope: string, ids: readonly string[]): Promise<Array<Stamped | undefined>> {
    if (ids.length === 0) return [];
    const values = await this.redis.client.mget(ids.map((id) => this.stateKey(scope, id)));
    return values.map((value) => (value === null ? undefined : parse(value, decodeStamped)));
  }

  /** A holder's read: every state kept for others' first reads, the changed ones published. */
  async publish(scope: string, read: readonly Stamped[], changed: readonly Stamped[]) {
    const pipeline = this.redis.client.pipeline();
    for (const stamped of read) {
      if (stamped.outcome instanceof GatewayError) continue;
      const value = JSON.stringify(encodeStamped(stamped));
      pipeline.set(this.stateKey(scope, stamped.id), value, "PX", this.leaseMs);
    }
    if (changed.length > 0) {
      const results = changed.map(encodeStamped);
      pipeline.publish(
        this.changesChannel(scope),
        JSON.stringify({ from: this.replicaId, results }),
      );
    }
    failed(await pipeline.exec());
  }

  /**
   * Leaves a scope: gives up the lease if held (and says so, so that another replica takes over
   * at once rather than at its next beat) and takes this replica's ids out of the union.
   */
  async leave(scope: string, registered: readonly string[]): Promise<void> {
    const { client } = this.redis;
    const members = registered.map((id) => `${this.replicaId}|${id}`);
    await Promise.all([
      this.release(scope),
      members.length > 0 ? client.zrem(`live:watch:${scope}`, ...members) : undefined,
    ]);
  }

  /** Gives the lease up if held, and says so: another replica takes over at once. */
  private async release(scope: string): Promise<void> {
    if (!(await this.lease(scope).release())) return;
    const note = JSON.stringify({ from: this.replicaId, released: true });
    await this.redis.client.publish(this.changesChannel(scope), note);
  }

  /** Tells every replica (this one included) that a webhook named these jobs. */
  async nudge(ids: readonly string[]): Promise<void> {
    await this.redis.client.publish(this.channel("nudge"), JSON.stringify(ids));
  }

  /** Reads a changes message; undefined for anything else. */
  readChanges(message: string): ChangesMessage | undefined {
    return parse(message, (value) => {
      if (typeof value !== "object" || value === null || !("from" in value)) return undefined;
      const { from } = value;
      if (typeof from !== "string") return undefined;
      if ("released" in value) return { from, released: true };
      if (!("results" in value) || !Array.isArray(value.results)) return undefined;
      const results = value.results.map(decodeStamped);
      return { from, results: results.filter((stamped) => stamped !== undefined) };
    });
  }

  /**
   * Narrows the offset with one reading of Redis's clock (`now`, read somewhere in a round trip
   * from `sent` to `received`): the offset lies within what every reading allows, and is taken
   * as the middle of that. A slow round trip (a busy event loop, a slow Redis) allows much and so
   * changes little, where taking its middle alone could be off by half of it, enough to order
   * two replicas' reads wrongly. Readings that allow nothing in common mean a clock was stepped:
   * the latest one starts afresh, as it does every ten minutes against slow drift.
   */
  private measured(now: number, sent: number, received: number): void {
    const low = now - (performance.timeOrigin + received);
    // `now` is whole milliseconds, cut down: Redis read its clock before now + 1.
    const high = now + 1 - (performance.timeOrigin + sent);
    this.offsetLow = Math.max(this.offsetLow, low);
    this.offsetHigh = Math.min(this.offsetHigh, high);
    if (this.offsetLow > this.offsetHigh || received - this.offsetSince > 600_000) {
      [this.offsetLow, this.offsetHigh, this.offsetSince] = [low, high, received];
    }
    this.offsetMs = (this.offsetLow + this.offsetHigh) / 2;
  }

  private lease(scope: string): Lease {
    return new Lease(this.redis.client, `live:lease:${scope}`, this.replicaId, this.leaseMs);
  }

  private stateKey(scope: string, id: string): string {
    return `live:state:${scope}:${id}`;
  }

  private async members(scope: string, ids: readonly string[], gone: readonly string[]) {
    const sent = performance.now();
    const answer = await MEMBERSHIP.run(
      this.redis.client,
      [`live:watch:${scope}`],
      [this.replicaId, this.memberMs, ids.length, ...ids, ...gone],
    );
    const [now, members] = Array.isArray(answer) ? answer : [];
    // Redis read its clock about halfway through the round trip.
    if (typeof now === "number") this.measured(now, sent, performance.now());
    const union = new Set<string>();
    for (const member of Array.isArray(members) ? members : []) {
      // `<replicaId>|<jobId>`: a replica id is a UUID, so the first bar ends it.
      if (typeof member === "string") union.add(member.slice(member.indexOf("|") + 1));
    }
    return union;
  }
}

/** JSON text read by `read`; undefined when it is not JSON or not what `read` expects. */
function parse<T>(text: string, read: (value: unknown) => T | undefined): T | undefined {
  try {
    return read(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A pipeline answers each command's error in place: the first one fails the whole write. */
function failed(results: Array<[Error | null, unknown]> | null): void {
  const error = results?.find(([failure]) => failure !== null)?.[0];
  if (error) throw error;
}
