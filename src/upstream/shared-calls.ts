import type { Freshness } from "../freshness.js";
import { type CallOrigin, callOrigin, traceJoinedCall } from "../tracing/index.js";
import type { ListPage } from "./list-response.js";

/** A call in flight and how many requests still wait for it. */
interface SharedCall {
  readonly result: Promise<ListPage>;
  /** When it was sent (`performance.now()` time): too old a call is not joined. */
  readonly startedAt: number;
  readonly controller: AbortController;
  waiting: number;
  /** With tracing on, the span the call was sent under: joiners' spans link to it. */
  readonly origin: CallOrigin;
}

/**
 * Identical upstream calls in flight, shared: the first request to need a call starts it, later
 * ones join it, and each waits only as long as it still wants the answer. A request that leaves
 * (its client hung up, its deadline passed) stops waiting at once; the call itself goes on while
 * any request still waits for it, and is aborted, freeing its connection and skipping its
 * retries, when the last one leaves. A call that settles or is abandoned is forgotten at once,
 * so nobody ever joins a call that is over, and a call begun longer ago than the joining
 * request's freshness allows is not joined either (src/freshness.ts).
 */
export class SharedCalls {
  private readonly inFlight = new Map<string, SharedCall>();

  /**
   * The answer of the call under `key`, joined if it is in flight (`onJoined` is told) or else
   * started with `start`, whose signal aborts when no request waits any more.
   */
  run(
    key: string,
    signal: AbortSignal | undefined,
    freshness: Freshness | undefined,
    start: (signal: AbortSignal) => Promise<ListPage>,
    onJoined?: () => void,
  ): Promise<ListPage> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let call = this.inFlight.get(key);
    const joins =
      call !== undefined && (freshness === undefined || freshness.accepts(call.startedAt));
    if (call !== undefined && joins) {
      onJoined?.();
    } else {
      // None in flight, or one begun too long before this request arrived: a fresh call, which
      // later requests join instead (the old one goes on for those already waiting).
      const controller = new AbortController();
      const started: SharedCall = {
        result: start(controller.signal).finally(() => this.forget(key, started)),
        startedAt: performance.now(),
        controller,
        waiting: 0,
        origin: callOrigin(),
      };
      call = started;
      this.inFlight.set(key, call);
    }
    freshness?.noteRead(call.startedAt);
    call.waiting++;
    const result = signal === undefined ? call.result : this.waitFor(key, call, signal);
    return joins ? traceJoinedCall(call.origin, result) : result;
  }

  /** The call's answer, or the signal's reason as soon as it aborts (then the request leaves). */
  private waitFor(key: string, call: SharedCall, signal: AbortSignal): Promise<ListPage> {
    return new Promise((resolve, reject) => {
      const leave = () => {
        reject(signal.reason);
        call.waiting--;
        if (call.waiting === 0) {
          this.forget(key, call);
          call.controller.abort(signal.reason);
        }
      };
      signal.addEventListener("abort", leave, { once: true });
      call.result.then(
        (page) => {
          signal.removeEventListener("abort", leave);
          resolve(page);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
  }

  private forget(key: string, call: SharedCall): void {
    if (this.inFlight.get(key) === call) this.inFlight.delete(key);
  }
}
