/**
 * How old the upstream reads behind one request's answer may be. Shared work in flight (a call
 * or a whole execution another request started) is joined only when every read it holds started
 * at most `SHARED_WORK_MAX_AGE_MS` before this request arrived: without a bound, a request that
 * joins work begun long ago (a slow upstream, a long walk) would be answered with a read older
 * than itself by any amount.
 */
export class Freshness {
  /** Reads that started before this instant (`performance.now()` time) are too old to share. */
  private earliest: number;
  /** When the oldest upstream read this request's answer rests on started; Infinity: none yet. */
  private oldest = Number.POSITIVE_INFINITY;

  constructor(arrivedAt: number, maxAgeMs: number) {
    this.earliest = arrivedAt - maxAgeMs;
  }

  /** The instant before which a read is too old for this answer. */
  get notBefore(): number {
    return this.earliest;
  }

  /**
   * Holds this request's future joins to another request's bound too: that request now takes
   * this one's answer (a shared execution), so what is fresh enough for it must hold here.
   */
  tighten(notBefore: number): void {
    if (notBefore > this.earliest) this.earliest = notBefore;
  }

  /** Notes a read (started or joined) the answer will rest on. */
  noteRead(startedAt: number): void {
    if (startedAt < this.oldest) this.oldest = startedAt;
  }

  /** Whether work whose oldest read started at `startedAt` is fresh enough to join. */
  accepts(startedAt: number): boolean {
    return startedAt >= this.earliest;
  }

  /** When the oldest read so far started (Infinity when there was none). */
  get oldestRead(): number {
    return this.oldest;
  }
}
