import { GatewayError } from "./errors.js";

/**
 * How many HTTP requests to LlamaCloud one GraphQL request may still make (`MAX_UPSTREAM_CALLS`),
 * retries included. A static cost estimate cannot see an upstream that silently caps its pages,
 * or a hand-made cursor; this counter is checked before every attempt, so nothing a request does
 * can make more calls than the limit. A call joined while in flight costs the joiner nothing.
 */
export class CallBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Takes one attempt from the budget; false when none is left. */
  take(): boolean {
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  /** Attempts made so far. */
  get spent(): number {
    return this.used;
  }
}

/** The error of a call that was not made because the request had spent its budget. */
export function budgetExhausted(limit: number): GatewayError {
  return new GatewayError(
    "UPSTREAM_BUDGET_EXHAUSTED",
    `This request used all ${limit} upstream calls it may make (MAX_UPSTREAM_CALLS); ask for fewer or smaller pages, or continue from the last cursor`,
    { extensions: { maxUpstreamCalls: limit } },
  );
}

/** True for the error `budgetExhausted` makes. */
export function isBudgetExhausted(error: unknown): boolean {
  return error instanceof GatewayError && error.code === "UPSTREAM_BUDGET_EXHAUSTED";
}
