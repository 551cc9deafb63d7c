import { scopedLister } from "./callers/scope.js";
import type { CallScope, ListRequest, UpstreamClient } from "./upstream/client.js";
import type { ListPage } from "./upstream/list-response.js";

/** One call of the list endpoint, made with a credential and scope already chosen. */
export type Lister = (request: ListRequest) => Promise<ListPage>;

/** What a lister's calls run under besides the credential: request id, signal, deadline, budget. */
export type ListerScope = Omit<CallScope, "authorization">;

/**
 * The list call of one credential and the projects a caller may see: every call goes through the
 * shared upstream client (retries, metrics, deduplication) with `authorization`, under the scope
 * `scopeOf()` gives at the time of the call, and, for a caller limited to `projects`, through
 * `scopedLister`, so it can never hand over a job of another project. A request's context
 * (src/context.ts) and the live-status poller (src/live/), which outlives every request, build
 * their listers here, so both read the upstream in exactly the same way.
 */
export function listerFor(
  upstream: UpstreamClient,
  authorization: string,
  projects: readonly string[] | undefined,
  scopeOf: () => ListerScope,
  onPage?: (page: ListPage) => void,
): Lister {
  const listAnyProject: Lister = async (request) => {
    const page = await upstream.listParseJobs(request, { ...scopeOf(), authorization });
    onPage?.(page);
    return page;
  };
  return projects === undefined ? listAnyProject : scopedLister(listAnyProject, projects);
}
