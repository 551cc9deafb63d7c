import type { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";

/** Statuses after which a job never changes again. */
const FINISHED = new Set<unknown>(["COMPLETED", "FAILED", "CANCELLED"]);

/**
 * True once a job will not change again. A status the gateway cannot read (a GatewayError in its
 * place) counts as unfinished: the job is kept under watch rather than reported done on a guess.
 */
export function isFinished(job: ParseJobRecord): boolean {
  return FINISHED.has(job.status);
}

/** What decides whether a subscriber is told about a job again: its status and `updatedAt`. */
export function changeKey(job: ParseJobRecord): string {
  const part = (value: unknown) => (value instanceof Error ? `!${value.message}` : String(value));
  return `${part(job.status)}\n${part(job.updatedAt)}`;
}

/**
 * One subscriber's stream: the jobs it watches, what it was last sent of each, and what it has
 * yet to take. It is a hand-written iterator rather than an async generator: a generator that
 * waits for the next change cannot be ended until that change comes, while a client that leaves
 * must be forgotten at once (`return()` settles a waiting `next()` immediately).
 *
 * What waits to be taken is kept per job, latest state only: a client that reads slowly holds at
 * most one pending state per job it watches (at most LOOKUP_BATCH_SIZE), never a backlog, and it
 * still always ends up with each job's newest state.
 */
export class JobStream implements AsyncIterableIterator<ParseJobRecord> {
  /** Every id the subscriber named, distinct. */
  readonly ids: readonly string[];
  /** Ids still watched: neither finished nor found missing. */
  readonly watching: Set<string>;
  private readonly sent = new Map<string, string>();
  private readonly pending = new Map<string, ParseJobRecord>();
  private ending: { error?: GatewayError } | undefined;
  private closed = false;
  private waiter: ((result: IteratorResult<ParseJobRecord>) => void) | undefined;
  private failWaiter: ((error: GatewayError) => void) | undefined;

  /** `onClose` runs once, when the stream is over for whatever reason (done, failed, left). */
  constructor(
    ids: Iterable<string>,
    private readonly onClose: (stream: JobStream) => void,
  ) {
    this.watching = new Set(ids);
    this.ids = [...this.watching];
    // Nothing to watch (a watch after shutdown began): over at once.
    if (this.watching.size === 0) this.ending = {};
  }

  /** Whether the stream still takes jobs. */
  get open(): boolean {
    return !this.closed && this.ending === undefined;
  }

  /** A job's state as read now: queued when it differs from what the subscriber has. */
  offer(job: ParseJobRecord): void {
    if (!this.open || !this.watching.has(job.id)) return;
    const key = changeKey(job);
    if (this.sent.get(job.id) !== key) {
      this.sent.set(job.id, key);
      this.pending.set(job.id, job);
    }
    if (isFinished(job)) this.forget(job.id);
    this.wake();
  }

  /** A job that is not there (never was, deleted, or not the caller's): no longer watched. */
  missing(id: string): void {
    if (!this.open) return;
    this.forget(id);
    this.wake();
  }

  /** Ends the stream once what is pending has been taken: cleanly, or with `error`. */
  end(error?: GatewayError): void {
    if (!this.open) return;
    this.ending = error === undefined ? {} : { error };
    this.wake();
  }

  next(): Promise<IteratorResult<ParseJobRecord>> {
    if (this.waiter !== undefined) {
      return Promise.reject(new Error("JobStream.next() called while another next() waits"));
    }
    const ready = this.take();
    if (ready !== undefined) return ready;
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  return(): Promise<IteratorResult<ParseJobRecord>> {
    this.close();
    this.settle({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ParseJobRecord> {
    return this;
  }

  private forget(id: string): void {
    this.watching.delete(id);
    if (this.watching.size === 0 && this.ending === undefined) this.ending = {};
  }

  /** What `next()` answers now, or undefined when it must wait. */
  private take(): Promise<IteratorResult<ParseJobRecord>> | undefined {
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    const first = this.pending.entries().next();
    if (!first.done) {
      const [id, job] = first.value;
      this.pending.delete(id);
      return Promise.resolve({ done: false, value: job });
    }
    if (this.ending === undefined) return undefined;
    const { error } = this.ending;
    this.close();
    return error === undefined
      ? Promise.resolve({ done: true, value: undefined })
      : Promise.reject(error);
  }

  private wake(): void {
    if (this.waiter === undefined) return;
    const ready = this.take();
    if (ready === undefined) return;
    const resolve = this.waiter;
    const reject = this.failWaiter;
    this.waiter = undefined;
    this.failWaiter = undefined;
    ready.then(resolve, reject);
  }

  private settle(result: IteratorResult<ParseJobRecord>): void {
    const resolve = this.waiter;
    this.waiter = undefined;
    this.failWaiter = undefined;
    resolve?.(result);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.onClose(this);
  }
}
