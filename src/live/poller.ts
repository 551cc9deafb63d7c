import type { Logger } from "pino";
import { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { isFatal, logPollFailure, type ReadOptions, type ReadReason, readJobs } from "./read.js";
import type { PollShare } from "./share.js";
import { isFinished, type JobStream } from "./stream.js";

/** Longest wait between two polls while the upstream keeps failing. */
export const MAX_BACKOFF_MS = 30_000;
/**
 * New subscribers arriving within this window share one read of their jobs' first states: a
 * dashboard opening a dozen streams at once costs one call, and a lone subscriber waits 5 ms.
 */
const SUBSCRIBE_WINDOW_MS = 5;
/** Webhook nudges arriving within this window share one read (LlamaCloud sends them in bursts). */
const NUDGE_WINDOW_MS = 25;

export interface PollerOptions extends ReadOptions {
  statusPollMs: number;
  logger: Logger;
  onTick: () => void;
  /** Told once the poller watches nothing and has no subscriber: it is dropped. */
  onIdle: () => void;
  /** With `REDIS_URL`: how this poll is shared with the other replicas (src/live/scope-share.ts). */
  share?: PollShare;
}

/**
 * The poll of one credential scope (credential and projects). Every subscriber of the scope
 * registers its stream here; while any unfinished job is watched, the poller re-reads every
 * watched id once per `STATUS_POLL_MS` (through the request loader's batching: calls of at most
 * LOOKUP_BATCH_SIZE ids, one per project for a scoped caller) and offers each job to the streams
 * watching it, each of which passes on only what changed for it. One read runs at a time; reads
 * asked for meanwhile (new subscribers, nudges) are merged into the next one.
 */
export class Poller {
  private readonly streams = new Set<JobStream>();
  /** Id → streams watching it; an id is polled while it has one. */
  private readonly watchers = new Map<string, Set<JobStream>>();
  /** The latest state read of watched ids, with when its read started. */
  private readonly known = new Map<string, { job: ParseJobRecord; readAt: number }>();
  private readonly firstReads = new Set<string>();
  private readonly nudged = new Set<string>();
  private tickDue = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private reading = false;
  /** Ids of the read in flight: a new watcher of one is answered by that read. */
  private readonly inFlight = new Set<string>();
  private failures = 0;
  private readonly controller = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  get watchedIds(): number {
    return this.watchers.size;
  }

  get subscribers(): number {
    return this.streams.size;
  }

  /** The ids watched here. */
  ids(): string[] {
    return [...this.watchers.keys()];
  }

  /** Starts watching for a stream: fresh states at once, the others in one read shortly. */
  add(stream: JobStream): void {
    this.streams.add(stream);
    const freshSince = performance.now() - this.options.statusPollMs;
    for (const id of stream.watching) {
      let set = this.watchers.get(id);
      if (set === undefined) {
        set = new Set();
        this.watchers.set(id, set);
      }
      set.add(stream);
      const held = this.known.get(id);
      // A state read within the last interval is as fresh as the next tick would make it.
      if (held !== undefined && held.readAt >= freshSince && this.failures === 0) {
        stream.offer(held.job);
      } else if (!this.inFlight.has(id)) this.firstReads.add(id);
    }
    if (this.firstReads.size > 0) this.soon(SUBSCRIBE_WINDOW_MS);
    this.scheduleTick();
    this.options.share?.touch();
  }

  /** Forgets a stream at once; ids nobody else watches leave the poll. */
  remove(stream: JobStream): void {
    if (!this.streams.delete(stream)) return;
    for (const id of stream.ids) {
      const set = this.watchers.get(id);
      if (set?.delete(stream) && set.size === 0) this.unwatch(id);
    }
    this.checkIdle();
  }

  /** A webhook says these jobs changed: re-read those watched here, soon, in one read. */
  nudge(ids: readonly string[]): void {
    let any = false;
    for (const id of ids) {
      if (!this.polls(id)) continue;
      this.nudged.add(id);
      any = true;
    }
    if (any) this.soon(NUDGE_WINDOW_MS);
  }

  /**
   * One read's outcome for `id`, from a read that started at `readAt`: here, or by another replica
   * (src/live/scope-share.ts). A refusal ends its streams; a job or its absence is offered.
   */
  apply(id: string, outcome: ParseJobRecord | null | GatewayError, readAt: number): void {
    if (!this.watchers.has(id)) return;
    if (outcome instanceof Error) this.fail(id, outcome);
    else {
      if (outcome !== null) this.known.set(id, { job: outcome, readAt });
      this.settle(id, outcome);
    }
  }

  /** Ticks now: this replica has just taken over the poll of one that stopped renewing it. */
  pollNow(): void {
    if (this.failures > 0 || this.watchers.size === 0) return;
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickDue = true;
    this.startRead();
  }

  /** Ends every stream cleanly and stops polling for good (SIGTERM). */
  close(): void {
    for (const stream of [...this.streams]) stream.end();
    this.streams.clear();
    this.watchers.clear();
    this.dispose();
  }

  private unwatch(id: string): void {
    this.watchers.delete(id);
    this.known.delete(id);
    this.firstReads.delete(id);
    this.nudged.delete(id);
  }

  private checkIdle(): void {
    if (this.watchers.size > 0) return;
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickDue = false;
    if (this.streams.size === 0) this.dispose();
  }

  private dispose(): void {
    if (this.controller.signal.aborted) return;
    clearTimeout(this.tickTimer);
    clearTimeout(this.soonTimer);
    // Calls still in flight stop, retries included: nobody is left to tell.
    this.controller.abort(
      new GatewayError("REQUEST_CANCELLED", "No subscriber watches these jobs"),
    );
    this.options.onIdle();
  }

  /** The next tick, one interval (or the backoff) from now, unless one is already set. */
  private scheduleTick(): void {
    if (this.tickTimer !== undefined || this.tickDue || this.watchers.size === 0) return;
    // A read in flight schedules the tick when it ends, with the backoff its outcome sets.
    if (this.reading || this.controller.signal.aborted) return;
    const { statusPollMs } = this.options;
    const delay = Math.min(
      statusPollMs * 2 ** this.failures,
      Math.max(statusPollMs, MAX_BACKOFF_MS),
    );
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.tickDue = true;
      this.startRead();
    }, delay);
  }

  /**
   * A read of first states or nudged ids within `windowMs`. While the upstream is failing they
   * wait for the next (backed-off) tick instead: a burst of reconnecting clients must not undo
   * the backoff.
   */
  private soon(windowMs: number): void {
    if (this.soonTimer !== undefined || this.failures > 0) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.startRead();
    }, windowMs);
  }

  /** Whether a read of `id` is this poller's: watched here, or by any replica it polls for. */
  private polls(id: string): boolean {
    return this.watchers.has(id) || this.options.share?.polls(id) === true;
  }

  private startRead(): void {
    if (this.reading || this.controller.signal.aborted) return;
    const tick = this.tickDue;
    const watched = tick ? this.ids() : [];
    // Shared: the cluster's union on the lease holder, nothing where another replica polls.
    let ids = tick ? (this.options.share?.tickIds(watched) ?? watched) : [];
    this.tickDue = false;
    let reason: ReadReason = "tick";
    if (ids.length === 0) {
      if (!tick && this.failures > 0) return;
      reason = this.firstReads.size > 0 ? "subscribe" : "nudge";
      ids = [...new Set([...this.firstReads, ...this.nudged])].filter((id) => this.polls(id));
    }
    const first =
      reason === "tick" ? [] : [...this.firstReads].filter((id) => !this.nudged.has(id));
    this.firstReads.clear();
    this.nudged.clear();
    if (ids.length === 0) {
      this.scheduleTick();
      return;
    }
    if (reason === "tick") this.options.onTick();
    this.reading = true;
    for (const id of ids) this.inFlight.add(id);
    void this.read(ids, reason, first).finally(() => {
      this.reading = false;
      this.inFlight.clear();
      if (this.controller.signal.aborted) return;
      if (this.tickDue) this.startRead();
      else if (this.firstReads.size > 0 || this.nudged.size > 0) this.soon(0);
      this.scheduleTick();
    });
  }

  /**
   * Reads `ids` once and hands each result to the streams watching it. First states (`first`)
   * that Redis holds fresh are taken from there instead (src/live/scope-share.ts).
   */
  private async read(ids: string[], reason: ReadReason, first: string[]): Promise<void> {
    const signal = this.controller.signal;
    const { share } = this.options;
    if (share !== undefined && first.length > 0) {
      const held = await share.firstStates(first);
      for (const [id, { outcome, readAt }] of held) this.apply(id, outcome, readAt);
      ids = ids.filter((id) => !held.has(id));
      if (ids.length === 0 || signal.aborted) return;
    }
    const { requestId, readAt, results } = await readJobs(ids, reason, signal, this.options);
    if (signal.aborted) return;
    // Outcomes already superseded by a later read another replica published are dropped.
    const stale = share?.read(ids, results, readAt);
    let failure: Error | undefined;
    ids.forEach((id, index) => {
      const result = results[index] ?? null;
      if (result instanceof Error && !isFatal(result)) failure ??= result;
      else if (!stale?.has(id)) this.apply(id, result, readAt);
    });
    this.failures = failure === undefined ? 0 : this.failures + 1;
    if (failure === undefined) return;
    logPollFailure(this.options.logger, requestId, failure, this.failures);
  }

  /** Offers a job's state (or its absence) to its watchers; a finished or missing one leaves. */
  private settle(id: string, job: ParseJobRecord | null): void {
    const set = this.watchers.get(id);
    if (set === undefined) return;
    for (const stream of set) {
      if (job === null) stream.missing(id);
      else stream.offer(job);
    }
    if (job === null || isFinished(job)) {
      this.unwatch(id);
      this.checkIdle();
    }
  }

  /** Ends every stream watching `id` with the upstream's refusal. */
  private fail(id: string, error: GatewayError): void {
    for (const stream of [...(this.watchers.get(id) ?? [])]) {
      stream.end(error);
      // Forgotten now, not when its client takes the error: its other ids leave the poll too.
      this.remove(stream);
    }
  }
}
