import { createHash } from "node:crypto";
import { TimestampError, timestampSortKey, toUtcTimestamp } from "../date-time.js";
import type { DemoJob } from "./data.js";

/**
 * The listing logic of the demo upstream, without HTTP: filters as LlamaCloud's query params
 * define them, newest first, offset page tokens bound to the query they were issued for, and
 * FastAPI-shaped validation errors.
 */

/** How the listing pages, from `DemoUpstreamOptions`. */
export interface ListingSettings {
  maxPageSize: number;
  defaultPageSize: number;
  totalSize: boolean;
  lastPageToken: "absent" | "null" | "empty";
}

const STATUSES = new Set(["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]);

interface Query {
  filterKey: string;
  pageSize: number;
  offset: number;
}

class DemoError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === "string" ? detail : "validation error");
  }
}

function validationError(param: string, msg: string, input: unknown): DemoError {
  return new DemoError(422, [{ type: "value_error", loc: ["query", param], msg, input }]);
}

/** A sortable key for a job's creation time; "" (last) when it has none or an unreadable one. */
function createdKey(job: DemoJob): string {
  const created = job.json.created_at;
  if (typeof created !== "string") return "";
  try {
    return timestampSortKey(toUtcTimestamp(created, "utc-if-missing"));
  } catch {
    return "";
  }
}

/** Newest first; jobs without a readable creation time last; ties broken by id, descending. */
export function sortNewestFirst(jobs: DemoJob[]): DemoJob[] {
  const keyed = jobs.map((job) => ({ job, key: createdKey(job), id: String(job.json.id) }));
  keyed.sort((a, b) => {
    if (a.key !== b.key) return a.key < b.key ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
  return keyed.map(({ job }) => job);
}

function matcher(params: URLSearchParams): { key: string; matches: (job: DemoJob) => boolean } {
  const status = params.get("status");
  if (status !== null && !STATUSES.has(status)) {
    throw validationError(
      "status",
      "Input should be 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED' or 'CANCELLED'",
      status,
    );
  }
  const bound = (name: string) => {
    const raw = params.get(name);
    if (raw === null) return null;
    try {
      return timestampSortKey(toUtcTimestamp(raw, "utc-if-missing"));
    } catch (error) {
      if (error instanceof TimestampError)
        throw validationError(name, "Input should be a valid datetime", raw);
      throw error;
    }
  };
  const after = bound("created_at_on_or_after");
  const before = bound("created_at_on_or_before");
  const ids = params.getAll("job_ids");
  const idSet = new Set(ids);
  const project = params.get("project_id");
  const organization = params.get("organization_id");
  const key = JSON.stringify([status, after, before, [...idSet].sort(), project, organization]);
  const matches = (job: DemoJob) => {
    if (status !== null && job.json.status !== status) return false;
    if (project !== null && job.json.project_id !== project) return false;
    if (organization !== null && job.organizationId !== organization) return false;
    if (ids.length > 0 && !idSet.has(String(job.json.id))) return false;
    if (after !== null || before !== null) {
      const at = createdKey(job);
      if (at === "") return false;
      if (after !== null && at < after) return false;
      if (before !== null && at > before) return false;
    }
    return true;
  };
  return { key, matches };
}

function readQuery(params: URLSearchParams, filterKey: string, options: ListingSettings): Query {
  const rawSize = params.get("page_size");
  let pageSize = options.defaultPageSize;
  if (rawSize !== null) {
    if (!/^\d+$/.test(rawSize))
      throw validationError("page_size", "Input should be a valid integer", rawSize);
    pageSize = Number(rawSize);
    if (pageSize < 1)
      throw validationError("page_size", "Input should be greater than or equal to 1", rawSize);
  }
  let offset = 0;
  const token = params.get("page_token");
  if (token !== null && token !== "") {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    } catch {
      throw new DemoError(400, "Invalid page_token");
    }
    if (
      !Array.isArray(decoded) ||
      typeof decoded[1] !== "number" ||
      decoded[0] !== tokenQueryHash(filterKey)
    ) {
      throw new DemoError(400, "Invalid page_token: it does not belong to this query");
    }
    offset = decoded[1];
  }
  return { filterKey, pageSize: Math.min(pageSize, options.maxPageSize), offset };
}

function tokenQueryHash(filterKey: string): string {
  return createHash("sha256").update(filterKey).digest("hex").slice(0, 12);
}

/** Answers one list request over `listing` (undefined: the key was not accepted). */
export function listPage(
  listing: DemoJob[] | undefined,
  params: URLSearchParams,
  settings: ListingSettings,
): { status: number; body: unknown } {
  if (!listing) return { status: 401, body: { detail: "Invalid authentication credentials" } };
  try {
    const { key, matches } = matcher(params);
    const query = readQuery(params, key, settings);
    const all = listing.filter(matches);
    const items = all.slice(query.offset, query.offset + query.pageSize).map((job) => job.json);
    const end = query.offset + items.length;
    const body: Record<string, unknown> = { items };
    if (end < all.length)
      body.next_page_token = Buffer.from(JSON.stringify([tokenQueryHash(key), end])).toString(
        "base64url",
      );
    else if (settings.lastPageToken === "null") body.next_page_token = null;
    else if (settings.lastPageToken === "empty") body.next_page_token = "";
    if (settings.totalSize) body.total_size = all.length;
    return { status: 200, body };
  } catch (error) {
    if (error instanceof DemoError) return { status: error.status, body: { detail: error.detail } };
    throw error;
  }
}
