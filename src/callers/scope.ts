import type { ParseJobFilterInput } from "../rest-params.js";
import type { ListRequest } from "../upstream/client.js";
import { badUserInput, GatewayError } from "../upstream/errors.js";
import type { ListPage } from "../upstream/list-response.js";
import { isUnreadable } from "../upstream/list-response.js";

/**
 * The `parseJobs` filter a caller limited to `projects` may send: its own `projectId` if that is
 * one of them, else the only one it has. Checked before any upstream call, so a refusal costs none.
 * The project lands in the filter's REST params, and so in the filter hash its cursors carry: a
 * cursor cannot be replayed under another project.
 */
export function scopeFilter(
  filter: ParseJobFilterInput | null | undefined,
  projects: readonly string[] | undefined,
): ParseJobFilterInput | null | undefined {
  if (projects === undefined) return filter;
  if (projects.length === 0) {
    throw new GatewayError("FORBIDDEN", "You may see no project's parse jobs");
  }
  const asked = filter?.projectId;
  if (asked != null) {
    if (!projects.includes(asked)) {
      throw new GatewayError(
        "FORBIDDEN",
        `filter.projectId ${JSON.stringify(asked)} is not one of your projects: ${list(projects)}`,
      );
    }
    return filter;
  }
  if (projects.length === 1) return { ...filter, projectId: projects[0] };
  throw badUserInput(
    `filter.projectId is required: you may see several projects, so name one of ${list(projects)}`,
  );
}

function list(projects: readonly string[]): string {
  return projects.map((project) => JSON.stringify(project)).join(", ");
}

/**
 * The list call of a caller limited to `projects`: every upstream call must carry one of them as
 * `project_id` (the schema's resolvers and the lookups put it there; a call without one is a bug
 * and is never sent), and any item of another project that comes back anyway is withheld, in its
 * place, as unreadable: a lookup then answers null, a listing an error on that edge. The
 * upstream filters by project; this is the gateway not relying on it.
 */
export function scopedLister(
  listParseJobs: (request: ListRequest) => Promise<ListPage>,
  projects: readonly string[],
): (request: ListRequest) => Promise<ListPage> {
  const allowed = new Set(projects);
  return async (request) => {
    const project = request.filter.find(([name]) => name === "project_id")?.[1];
    if (project === undefined || !allowed.has(project)) {
      throw new Error(
        `refused to call LlamaCloud for a caller limited to ${list(projects)} with project_id ${JSON.stringify(project ?? null)}`,
      );
    }
    const page = await listParseJobs(request);
    // A shared call's page is shared: a new page, not an edited one.
    if (page.items.every((item) => isUnreadable(item) || item.projectId === project)) return page;
    return {
      ...page,
      items: page.items.map((item) =>
        isUnreadable(item) || item.projectId === project
          ? item
          : { unreadable: "a job of a project outside the caller's, withheld" },
      ),
    };
  };
}
