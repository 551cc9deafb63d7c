import type { Logger } from "pino";
import { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { isFatal, type ReadOptions, type ReadReason, readJobs } from "./read.js";
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
      if (!this.watchers.has(id)) continue;
      this.nudged.add(id);
      any = true;
    }
    if (any) this.soon(NUDGE_WINDOW_MS);
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

  private startRead(): void {
    if (this.reading || this.controller.signal.aborted) return;
    let reason: ReadReason;
    let ids: string[];
    if (this.tickDue) {
      reason = "tick";
      ids = [...this.watchers.keys()];
      this.tickDue = false;
    } else {
      if (this.failures > 0) return;
      reason = this.firstReads.size > 0 ? "subscribe" : "nudge";
      ids = [...new Set([...this.firstReads, ...this.nudged])].filter((id) =>
        this.watchers.has(id),
      );
    }
    this.firstReads.clear();
    this.nudged.clear();
    if (ids.length === 0) {
      this.scheduleTick();
      return;
    }
    if (reason === "tick") this.options.onTick();
    this.reading = true;
    for (const id of ids) this.inFlight.add(id);
    void this.read(ids, reason).finally(() => {
      this.reading = false;
      this.inFlight.clear();
      if (this.controller.signal.aborted) return;
      if (this.tickDue) this.startRead();
      else if (this.firstReads.size > 0 || this.nudged.size > 0) this.soon(0);
      this.scheduleTick();
    });
  }

  /** Reads `ids` once and hands each result to the streams watching it. */
  private async read(ids: string[], reason: ReadReason): Promise<void> {
    const signal = this.controller.signal;
    const { requestId, readAt, results } = await readJobs(ids, reason, signal, this.options);
    if (signal.aborted) return;
    let failure: Error | undefined;
    ids.forEach((id, index) => {
      const result = results[index] ?? null;
      if (result instanceof Error) {
        if (isFatal(result)) this.fail(id, result);
        else failure ??= result;
      } else {
        if (result !== null) this.known.set(id, { job: result, readAt });
        this.settle(id, result);
      }
    });
    if (failure === undefined) {
      this.failures = 0;
      return;
    }
    this.failures++;
    // The message is the upstream client's, with the credential already taken out.
    this.options.logger.warn({
      msg: "live status poll failed: subscriptions stay open, the poll backs off",
      requestId,
      code: failure instanceof GatewayError ? failure.code : "INTERNAL",
      error: failure.message,
      failures: this.failures,
    });
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
