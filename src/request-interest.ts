import { setMaxListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { GatewayError } from "./upstream/errors.js";

/** Subscribes a listener to the moment a request's client goes away without its answer. */
export type OnDeparture = (listener: () => void) => void;

/**
 * The departure of the client behind a Node response: its connection closed before the answer
 * was written in full. Both the direct path and Yoga's Node adapter hand the context `res`.
 */
export function departureOfResponse(res: ServerResponse): OnDeparture {
  return (listener) => {
    if (res.closed) {
      if (!res.writableFinished) listener();
      return;
    }
    res.once("close", () => {
      if (!res.writableFinished) listener();
    });
  };
}

/** The departure that an AbortSignal reports (a Fetch `Request`'s, when there is no `res`). */
export function departureOfSignal(signal: AbortSignal): OnDeparture {
  return (listener) => {
    if (signal.aborted) listener();
    else signal.addEventListener("abort", listener, { once: true });
  };
}

/** The reason upstream work is aborted when no request waits for it any more. */
export function requestCancelled(): GatewayError {
  return new GatewayError(
    "REQUEST_CANCELLED",
    "Every client waiting for this work went away, so its upstream calls were stopped",
  );
}

/**
 * Who still waits for one request's upstream work: the request itself, and every request that
 * took a share of its execution (src/shared-execution.ts). Its signal aborts once all of them
 * have gone, so a client that hangs up stops its retries and queued calls, while work another
 * request still waits for carries on. A member that cannot report its departure (no Node
 * response and no signal) is waited for until the work ends.
 *
 * The signal, and a listener per member, are made on first use, when the first upstream call
 * starts: requests that never call out (shared, cached or refused ones) pay nothing.
 */
export class RequestInterest {
  private readonly members: Array<OnDeparture | undefined>;
  private controller: AbortController | undefined;
  private waiting = 0;

  constructor(readonly own: OnDeparture | undefined) {
    this.members = [own];
  }

  /** Another request waits for this work too: it goes on until that one has gone as well. */
  share(departure: OnDeparture | undefined): void {
    this.members.push(departure);
    if (this.controller !== undefined) {
      this.waiting++;
      this.listen(departure);
    }
  }

  /** Aborts (with a REQUEST_CANCELLED reason) when every member has gone. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Every upstream call of the request in flight listens to it (twenty aliased pages are
      // twenty listeners): not the leak Node's default warning at eleven is meant to catch.
      setMaxListeners(0, this.controller.signal);
      // All counted before any listens: a member already gone must not abort the others' work.
      this.waiting = this.members.length;
      for (const member of this.members) this.listen(member);
    }
    return this.controller.signal;
  }

  private listen(departure: OnDeparture | undefined): void {
    departure?.(() => {
      this.waiting--;
      if (this.waiting === 0) this.controller?.abort(requestCancelled());
    });
  }
}
