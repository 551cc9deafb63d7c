/**
 * What a poller (src/live/poller.ts), its share of the cluster's poll (src/live/scope-share.ts)
 * and the process's cluster (src/live/cluster.ts) ask of each other.
 */
import type { SharedRedis } from "../shared/redis.js";
import type { ClusterStore } from "./cluster-store.js";
import type { Outcome } from "./wire.js";

/** `starting`: before its first beat; `local`: Redis away, it polls alone. */
export type Role = "starting" | "holder" | "follower" | "local";

/** A state read elsewhere, as a poller takes it: `readAt` on this process's clock. */
export interface Held {
  outcome: Outcome;
  readAt: number;
}

/** What a poller (src/live/poller.ts) asks of its share. */
export interface PollShare {
  /** The ids a tick reads: all watched (local), the union (holder), none (follower). */
  tickIds(watched: string[]): string[];
  /** Whether a nudge of `id` is this poller's though no subscriber here watches it. */
  polls(id: string): boolean;
  /** Subscribers came: their ids are registered at once, not at the next beat. */
  touch(): void;
  /** The states of `ids` a holder read recently, to offer instead of reading them. */
  firstStates(ids: readonly string[]): Promise<Map<string, Held>>;
  /** A read made here; answers the ids whose outcome is older than one already offered. */
  read(
    ids: readonly string[],
    results: ReadonlyArray<Outcome | Error>,
    readAt: number,
  ): Set<string>;
}

/** What a share needs of its poller. */
export interface ShareHost {
  ids(): string[];
  apply(id: string, outcome: Outcome, readAt: number): void;
  nudge(ids: readonly string[]): void;
  pollNow(): void;
}

/** What a share needs of the process's cluster. */
export interface ShareLink {
  readonly store: ClusterStore;
  readonly redis: SharedRedis;
  readonly statusPollMs: number;
  /** Whether this replica can take part now: Redis answers and its channels are subscribed. */
  sharing(): boolean;
  /** Counts one beat by the role it ended in. */
  counted(role: Role): void;
}
