/** Who sent a GraphQL request, as authentication established it. */
export interface Caller {
  /** The token's `sub`, when authentication is on and the token has one. */
  readonly subject: string | undefined;
  /**
   * The LlamaCloud projects the caller may see (`AUTH_PROJECT_CLAIM`), sorted and distinct;
   * undefined when no claim is configured: every project the server's key sees.
   */
  readonly projects: readonly string[] | undefined;
}

/** The caller of a request when authentication is off: anyone, every project. */
export const ANONYMOUS: Caller = { subject: undefined, projects: undefined };

/**
 * A caller of no project: a request that failed authentication but asks only for the subgraph's
 * SDL (a router composing), or one authentication never saw. Even a bug elsewhere could not hand
 * it a job.
 */
export const SDL_ONLY: Caller = { subject: undefined, projects: [] };
