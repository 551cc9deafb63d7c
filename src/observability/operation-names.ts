/** How operation names earn, keep and lose a metric label of their own. */
export interface OperationNameLimits {
  /** Most names with a label of their own at once. */
  maxNames: number;
  /** Clean executions a name needs (while it is tracked) before it claims a label. */
  claimAfter: number;
  /** Most names tracked on their way to a label; bounds this tracker's memory. */
  maxCandidates: number;
  /** A label unused this long (ms) may be given to another name once all are taken. */
  idleMs: number;
  /** Longer names never get a label, nor a counter: memory is bounded in bytes, not in names. */
  maxNameLength: number;
}

/** The defaults: see README, "Health, readiness, metrics, logs". */
export const OPERATION_NAME_LIMITS: OperationNameLimits = {
  maxNames: 100,
  claimAfter: 3,
  maxCandidates: 1000,
  idleMs: 60 * 60 * 1000,
  maxNameLength: 128,
};

/** The label of every operation whose name has no label of its own. */
export const OTHER_OPERATION = "other";

/**
 * Decides which operation names get a metric label of their own. Names are chosen by clients, so
 * a label must be earned by recurring, and is held only while in use:
 *
 * - Only a clean execution (`eligible`: it passed validation and ran without a request-level
 *   error) counts toward a label; a refused or malformed operation is not one a dashboard runs.
 * - Sightings are counted with the Misra-Gries frequent-items sketch: at most `maxCandidates`
 *   counters, and a new name arriving when all are taken costs every counter one (emptied ones
 *   are freed) instead of being tracked. A burst of distinct junk names therefore never gets any
 *   of them to `claimAfter`, and a name that recurs more often than 1 in `maxCandidates` of all
 *   operations still climbs during such a burst; any name climbs normally once it is over.
 * - Once `maxNames` names hold labels, a new name gets one only by taking that of the name
 *   unused for longest, and only when that one has been unused for `idleMs`: the labels of
 *   names in use are never taken, and junk that stops coming frees its labels.
 *
 * Everything is bounded: `maxNames` labels, `maxCandidates` counters, `maxNameLength` each.
 */
export class OperationNameLabels {
  /** Names with a label of their own, with when a clean execution last used it (`now()`). */
  private readonly labelled = new Map<string, number>();
  /** Misra-Gries counters of names on their way to a label. */
  private readonly candidates = new Map<string, number>();

  constructor(
    private readonly limits: OperationNameLimits,
    /** Told when a name loses its label, to remove its series. */
    private readonly onDrop: (name: string) => void,
    // Read on each call (not `Date.now` kept once), so a test can move the clock.
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The label to count an operation named `name` under: its own name, or `other`. */
  labelFor(name: string, eligible: boolean): string {
    const lastUsed = this.labelled.get(name);
    if (lastUsed !== undefined) {
      // A refused operation is still counted under its label, but does not keep it in use.
      if (eligible) this.labelled.set(name, this.now());
      return name;
    }
    if (!eligible || name.length > this.limits.maxNameLength) return OTHER_OPERATION;
    if (this.sighting(name) < this.limits.claimAfter) return OTHER_OPERATION;
    if (this.labelled.size >= this.limits.maxNames && !this.dropIdle()) return OTHER_OPERATION;
    this.candidates.delete(name);
    this.labelled.set(name, this.now());
    return name;
  }

  /** Counts one sighting of a name without a label; answers its count (0: not tracked). */
  private sighting(name: string): number {
    const count = (this.candidates.get(name) ?? 0) + 1;
    if (count > 1 || this.candidates.size < this.limits.maxCandidates) {
      this.candidates.set(name, count);
      return count;
    }
    // Full: this sighting and one of every tracked name cancel out. Each pass removes at least
    // as many counts as there are counters, and every count was one sighting, so the passes cost
    // O(1) per sighting overall.
    for (const [tracked, trackedCount] of this.candidates) {
      if (trackedCount <= 1) this.candidates.delete(tracked);
      else this.candidates.set(tracked, trackedCount - 1);
    }
    return 0;
  }

  /** Frees the label unused for longest if it has been unused for `idleMs`; true when freed. */
  private dropIdle(): boolean {
    let oldest: string | undefined;
    let oldestUse = Number.POSITIVE_INFINITY;
    for (const [name, lastUsed] of this.labelled) {
      if (lastUsed < oldestUse) {
        oldest = name;
        oldestUse = lastUsed;
      }
    }
    if (oldest === undefined || this.now() - oldestUse < this.limits.idleMs) return false;
    this.labelled.delete(oldest);
    this.onDrop(oldest);
    return true;
  }
}
