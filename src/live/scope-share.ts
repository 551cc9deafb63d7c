/**
 * One replica's part in the cluster's poll of one credential scope (src/live/cluster.ts). Every
 * interval it beats: registers the ids its subscribers watch, claims the scope's lease, and learns
 * the cluster's union. The holder polls the union and publishes what changed; the others poll
 * nothing and take the holder's changes. Without Redis it is "local": its poller polls for itself,
 * exactly as without `REDIS_URL`, until a beat finds Redis again.
 */
import { GatewayError } from "../upstream/errors.js";
import type { ChangesMessage } from "./cluster-store.js";
import { isFatal } from "./read.js";
import type { Held, PollShare, Role, ShareHost, ShareLink } from "./share.js";
import { changeKey } from "./stream.js";
import type { Outcome, Stamped } from "./wire.js";

/** New subscribers' ids are registered within this window, many subscribers in one beat. */
const TOUCH_WINDOW_MS = 5;
/** A follower beats this long after the holder's lease would lapse, so as to find it lapsed. */
const LAPSE_MARGIN_MS = 10;

export class ScopeShare implements PollShare {
  role: Role = "starting";
  private union = new Set<string>();
  private registered: string[] = [];
  /** Per id watched here, when the read of the newest outcome offered here started (Redis clock). */
  private readonly latest = new Map<string, number>();
  /** The holder's last published change key per id: only changes go out. */
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private beating = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly link: ShareLink,
    readonly scope: string,
    private readonly host: () => ShareHost,
  ) {}

  tickIds(watched: string[]): string[] {
    if (this.role === "local") return watched;
    return this.role === "holder" ? [...new Set([...this.union, ...watched])] : [];
  }

  polls(id: string): boolean {
    return this.role === "holder" && this.union.has(id);
  }

  touch(): void {
    this.schedule(TOUCH_WINDOW_MS);
  }

  async firstStates(ids: readonly string[]): Promise<Map<string, Held>> {
    const held = new Map<string, Held>();
    if (this.role === "local") return held;
    const { redis, store } = this.link;
    const states = await redis.orLocal(
      "live-status",
      () => store.states(this.scope, ids),
      () => [],
    );
    for (const stamped of states) {
      // Equal is fine here: a new subscriber needs the state even if others here have it.
      if (stamped === undefined || (this.latest.get(stamped.id) ?? 0) > stamped.readAt) continue;
      this.latest.set(stamped.id, stamped.readAt);
      held.set(stamped.id, { outcome: stamped.outcome, readAt: store.local(stamped.readAt) });
    }
    return held;
  }

  read(ids: readonly string[], results: ReadonlyArray<Outcome | Error>, readAt: number) {
    const at = this.link.store.stamp(readAt);
    const stale = new Set<string>();
    const read: Stamped[] = [];
    ids.forEach((id, index) => {
      const result = results[index] ?? null;
      let outcome: Outcome;
      if (!(result instanceof Error) || isFatal(result)) outcome = result;
      // Only what every replica acts on alike is shared; other failures back off here alone.
      else return;
      if ((this.latest.get(id) ?? 0) > at) stale.add(id);
      else {
        this.latest.set(id, at);
        read.push({ id, readAt: at, outcome });
      }
    });
    if (this.role === "holder") this.publish(read);
    return stale;
  }

  /** What another replica published for this scope. */
  receive(message: ChangesMessage): void {
    if (message.from === this.link.store.replicaId) return;
    // The holder left: contend now rather than when its lease would have lapsed.
    if ("released" in message) this.schedule(0);
    else for (const stamped of message.results) this.offer(stamped);
  }

  /** A webhook nudge, published by whichever replica took it: the holder re-reads. */
  async nudged(ids: readonly string[]): Promise<void> {
    if (this.role !== "holder") return;
    // Ids registered since the last beat count too: the union as it stands now.
    const { redis, store } = this.link;
    this.union = await redis.orLocal(
      "live-status",
      () => store.union(this.scope),
      () => this.union,
    );
    this.host().nudge(ids);
  }

  /** A nudge that no channel can carry (Redis away): this poller re-reads what it would poll. */
  nudgeHere(ids: readonly string[]): void {
    this.host().nudge(ids);
  }

  /** Redis went away: poll alone from the next tick on, without waiting for a beat to fail. */
  fallBack(): void {
    this.setRole("local");
  }

  /** Redis is back (or a channel subscribed): beat now. */
  wake(): void {
    this.schedule(0);
  }

  /** The poller is gone: its ids leave the union, and its lease goes to another replica at once. */
  leave(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.release();
  }

  /** Offers what another replica read, unless an outcome read later was offered here already. */
  private offer({ id, readAt, outcome }: Stamped): void {
    if ((this.latest.get(id) ?? 0) >= readAt) return;
    this.latest.set(id, readAt);
    this.host().apply(id, outcome, this.link.store.local(readAt));
  }

  private publish(read: Stamped[]): void {
    const changed = read.filter(({ id, outcome }) => {
      // Refusals always go out: they end subscriptions wherever they are.
      if (outcome instanceof GatewayError) return true;
      const key = outcome === null ? "missing" : changeKey(outcome);
      if (this.published.get(id) === key) return false;
      this.published.set(id, key);
      return true;
    });
    const { redis, store } = this.link;
    void redis.orLocal(
      "live-status",
      () => store.publish(this.scope, read, changed),
      () => {},
    );
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.beating) {
      this.again ||= delayMs < this.link.statusPollMs;
      return;
    }
    const at = performance.now() + delayMs;
    if (this.timer !== undefined && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.beat();
    }, delayMs);
  }

  private async beat(): Promise<void> {
    this.beating = true;
    const ids = this.host().ids();
    let next = this.link.statusPollMs;
    const { redis, store } = this.link;
    const answered = await redis.orLocal(
      "live-status",
      async (): Promise<Role> => {
        if (!this.link.sharing()) throw new Error("the live status channels are not subscribed");
        const watched = new Set(ids);
        const beat = await store.beat(
          this.scope,
          ids,
          this.registered.filter((id) => !watched.has(id)),
        );
        this.registered = ids;
        this.union = beat.union;
        if (beat.held) return "holder";
        // Beat again the moment the holder's lease lapses, not up to an interval after.
        next = Math.min(next, beat.ttlMs + LAPSE_MARGIN_MS);
        // The holder's states, in case a published change never arrived (pub/sub is at most once).
        for (const stamped of beat.states) if (stamped !== undefined) this.offer(stamped);
        return "follower";
      },
      (): Role => "local",
    );
    // Redis went away while the beat was under way: what it answered is already out of date.
    const role = this.link.sharing() ? answered : "local";
    this.beating = false;
    // Left while beating: what the beat claimed or registered is given up again.
    if (this.closed) {
      this.release();
      return;
    }
    this.link.counted(role);
    this.setRole(role);
    this.prune(ids);
    const again = this.again;
    this.again = false;
    this.schedule(again ? TOUCH_WINDOW_MS : next);
  }

  private release(): void {
    const { redis, store } = this.link;
    const registered = this.registered;
    void redis.orLocal(
      "live-status",
      () => store.leave(this.scope, registered),
      () => undefined,
    );
  }

  private setRole(role: Role): void {
    const was = this.role;
    this.role = role;
    // A new holder publishes every state once: what an earlier holder sent is not known here.
    if (role !== "holder") this.published.clear();
    // Taken over from a holder that stopped: poll now, not an interval later.
    if (role === "holder" && was === "follower") this.host().pollNow();
  }

  /** Forgets ids neither watched here nor (for the holder) polled for the cluster. */
  private prune(watched: readonly string[]): void {
    const here = new Set(watched);
    for (const id of this.latest.keys()) if (!here.has(id)) this.latest.delete(id);
    for (const id of this.published.keys()) {
      if (!here.has(id) && !this.union.has(id)) this.published.delete(id);
    }
  }
}
