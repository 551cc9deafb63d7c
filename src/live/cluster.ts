/**
 * The live status across replicas (`REDIS_URL`): one status poll per credential scope for the
 * whole cluster, and webhooks that reach every replica. Per scope, the replicas with subscribers
 * of it contend for a lease each interval; the holder polls the union of the ids watched on all of
 * them (each registers its own, with expiring membership) and publishes what changed, and each
 * replica hands that to its own subscribers (src/live/scope-share.ts; keys and channels in
 * src/live/cluster-store.ts). Only a replica with subscribers of a scope has its credential (their
 * request lent it), so only such a replica can hold the lease: Redis never sees a credential.
 *
 * When Redis is away each replica polls for itself exactly as without `REDIS_URL`: subscriptions
 * never end because of Redis, and sharing resumes by itself at the next beat once it is back.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { Counter, Gauge } from "prom-client";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { SharedRedis } from "../shared/redis.js";
import { ClusterStore } from "./cluster-store.js";
import { ScopeShare } from "./scope-share.js";
import type { Role, ShareHost, ShareLink } from "./share.js";

export class LiveCluster implements ShareLink {
  readonly store: ClusterStore;
  private readonly shares = new Map<string, ScopeShare>();
  private readonly subscriber: Redis;
  private readonly beats: Counter<"role">;
  private readonly stopWatching: () => void;
  private readonly nudgeChannel: string;
  private readonly changesPrefix: string;

  constructor(
    readonly redis: SharedRedis,
    readonly statusPollMs: number,
    metrics: GatewayMetrics,
  ) {
    this.store = new ClusterStore(redis, randomUUID(), statusPollMs);
    this.nudgeChannel = this.store.channel("nudge");
    this.changesPrefix = this.store.changesChannel("");
    this.subscriber = redis.subscriber();
    this.subscriber.on("message", this.onMessage);
    // ioredis subscribes its channels again after a reconnection, then says "ready".
    this.subscriber.on("ready", this.onReady);
    this.subscribe(this.nudgeChannel);
    this.stopWatching = redis.onAvailability((available) => {
      for (const share of this.shares.values()) {
        if (available) share.wake();
        else share.fallBack();
      }
    });
    const shares = this.shares;
    new Gauge({
      name: "live_leases_held",
      help: "Credential scopes whose status poll this replica makes for every replica (it holds their lease in Redis)",
      registers: [metrics.registry],
      collect() {
        this.set([...shares.values()].filter((share) => share.role === "holder").length);
      },
    });
    this.beats = new Counter({
      name: "live_lease_beats_total",
      help: "Beats of the shared status polls (ids registered, lease claimed), by the role each ended in: holder (polls for the cluster), follower (another replica polls), local (Redis away: polls alone)",
      labelNames: ["role"],
      registers: [metrics.registry],
    });
  }

  sharing(): boolean {
    return this.redis.available && this.subscriber.status === "ready";
  }

  counted(role: Role): void {
    this.beats.inc({ role });
  }

  /** The share of a new poller of `scope`; it beats first when its poller's first stream comes. */
  join(scope: string, host: () => ShareHost): ScopeShare {
    const share = new ScopeShare(this, scope, host);
    this.shares.set(scope, share);
    this.subscribe(this.store.changesChannel(scope));
    return share;
  }

  /** A poller is gone: its share leaves the scope (and its lease, if held). */
  leave(share: ScopeShare): void {
    share.leave();
    if (this.shares.get(share.scope) !== share) return;
    this.shares.delete(share.scope);
    this.subscriber.unsubscribe(this.store.changesChannel(share.scope)).catch(() => {});
  }

  /**
   * A webhook named these jobs. Published for every replica (this one included): the holder of
   * each scope watching one re-reads it, wherever the subscribers are. A poller polling alone
   * (Redis away from it, or before its first beat) is nudged here directly, as are all of them
   * when the nudge cannot be published.
   */
  nudge(ids: readonly string[]): void {
    const alone = (share: ScopeShare) => share.role === "local" || share.role === "starting";
    for (const share of this.shares.values()) if (alone(share)) share.nudgeHere(ids);
    void this.redis.orLocal(
      "webhooks",
      () => this.store.nudge(ids),
      () => {
        for (const share of this.shares.values()) if (!alone(share)) share.nudgeHere(ids);
      },
    );
  }

  /** Shutdown, once every poller has closed (and so left). */
  close(): void {
    this.stopWatching();
    this.subscriber.off("message", this.onMessage);
    this.subscriber.off("ready", this.onReady);
    this.subscriber.unsubscribe(this.nudgeChannel).catch(() => {});
  }

  private subscribe(channel: string): void {
    // Queued while disconnected, and renewed by ioredis on reconnection; a failure here only
    // delays sharing (`sharing()` is false until the connection is ready).
    this.subscriber.subscribe(channel).catch(() => {});
  }

  private readonly onReady = (): void => {
    for (const share of this.shares.values()) share.wake();
  };

  private readonly onMessage = (channel: string, message: string): void => {
    if (channel === this.nudgeChannel) {
      const ids = readIds(message);
      for (const share of this.shares.values()) void share.nudged(ids);
      return;
    }
    if (!channel.startsWith(this.changesPrefix)) return;
    const share = this.shares.get(channel.slice(this.changesPrefix.length));
    const changes = share === undefined ? undefined : this.store.readChanges(message);
    if (changes !== undefined) share?.receive(changes);
  };
}

/** A nudge's job ids (a JSON array of strings); none when it is anything else. */
function readIds(message: string): string[] {
  try {
    const value: unknown = JSON.parse(message);
    return Array.isArray(value) ? value.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}
