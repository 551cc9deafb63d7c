import { isPlausibleJobId } from "./job-id.js";
import type { RestParams } from "./upstream/client.js";
import { badUserInput } from "./upstream/errors.js";

/** The `ParseJobFilter` input as the schema hands it over (timestamps already normalized to UTC). */
export interface ParseJobFilterInput {
  status?: string | null;
  createdAtOnOrAfter?: string | null;
  createdAtOnOrBefore?: string | null;
  jobIds?: readonly string[] | null;
  projectId?: string | null;
  organizationId?: string | null;
}

/** A filter ready for the upstream. */
export interface RestFilter {
  /** In a fixed order, so that equal filters give equal params and equal `key`s. */
  params: RestParams;
  /** Identifies the filter; cursors carry a hash of it. */
  key: string;
  /** `jobIds: []`: nothing can match, and the REST endpoint would return everything. */
  matchesNothing: boolean;
}

/**
 * Leaves room under the ~8 KB URL limit of common proxies for the base URL, `page_size` and a page
 * token, which the filter's params are sent with.
 */
export const MAX_FILTER_QUERY_LENGTH = 6000;

/** Maps the GraphQL filter onto the REST query params of the same meaning, checking each value. */
export function filterToRestParams(filter: ParseJobFilterInput | null | undefined): RestFilter {
  const params: Array<[string, string]> = [];
  const f = filter ?? {};
  if (f.status != null) params.push(["status", f.status]);
  if (f.createdAtOnOrAfter != null) params.push(["created_at_on_or_after", f.createdAtOnOrAfter]);
  if (f.createdAtOnOrBefore != null)
    params.push(["created_at_on_or_before", f.createdAtOnOrBefore]);
  if (f.jobIds != null) {
    // Sorted and de-duplicated: the same set of ids is the same filter, whatever order it came in.
    for (const id of [...new Set(f.jobIds)].sort()) params.push(["job_ids", id]);
    f.jobIds.forEach((id, index) => {
      if (!isPlausibleJobId(id)) {
        throw badUserInput(`filter.jobIds[${index}] is not a job id: ${JSON.stringify(id)}`);
      }
    });
  }
  if (f.organizationId != null)
    params.push(["organization_id", nonEmpty(f.organizationId, "organizationId")]);
  if (f.projectId != null) params.push(["project_id", nonEmpty(f.projectId, "projectId")]);

  const key = new URLSearchParams(params).toString();
  if (key.length > MAX_FILTER_QUERY_LENGTH) {
    throw badUserInput(
      `filter is too long for one upstream URL (${key.length} characters of query, at most ${MAX_FILTER_QUERY_LENGTH}): ask for fewer jobIds at a time`,
    );
  }
  return { params, key, matchesNothing: f.jobIds?.length === 0 };
}

function nonEmpty(value: string, field: string): string {
  if (value.trim() === "") throw badUserInput(`filter.${field} must not be empty`);
  return value;
}
