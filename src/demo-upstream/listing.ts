import { createHash } from "node:crypto";
import { TimestampError, timestampSortKey, toUtcTimestamp } from "../date-time.js";
import type { DemoJob } from "./data.js";

/**
 * The listing logic of the demo upstream, without HTTP: filters as LlamaCloud's query params
 * define them, newest first, keyset page tokens bound to the query they were issued for, and
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

/** A job with its sort key, worked out once: the listing is kept sorted by it. */
export interface ListedJob {
  readonly job: DemoJob;
  /** `timestampSortKey` of `created_at`; "" (sorts last) when it has none or an unreadable one. */
  readonly key: string;
  readonly id: string;
}

/** Where a page starts: after the job with this sort key and id (null: the first page). */
type Keyset = { key: string; id: string } | null;

interface Query {
  filterKey: string;
  pageSize: number;
  after: Keyset;
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

/** Whether `a` comes before `b` newest first: later creation first, ties by id, descending. */
function comesBefore(a: { key: string; id: string }, b: { key: string; id: string }): boolean {
  return a.key !== b.key ? a.key > b.key : a.id > b.id;
}

/** Newest first; jobs without a readable creation time last; ties broken by id, descending. */
export function sortNewestFirst(jobs: DemoJob[]): ListedJob[] {
  const entries = jobs.map(toListed);
  entries.sort((a, b) => (comesBefore(a, b) ? -1 : comesBefore(b, a) ? 1 : 0));
  return entries;
}

function toListed(job: DemoJob): ListedJob {
  return { job, key: createdKey(job), id: String(job.json.id) };
}

/**
 * Adds jobs to a sorted listing, each where its creation time puts it: at the head for a job
 * created now, as on the real service.
 */
export function insertNewestFirst(listing: ListedJob[], jobs: readonly DemoJob[]): void {
  for (const job of jobs) {
    const entry = toListed(job);
    listing.splice(firstAfter(listing, entry, true), 0, entry);
  }
}

/**
 * The index of the first job after `at` in a sorted listing (binary search); with `orEqual`, a job
 * equal to `at` counts as after it.
 */
function firstAfter(
  listing: readonly ListedJob[],
  at: { key: string; id: string },
  orEqual = false,
): number {
  let low = 0;
  let high = listing.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const entry = listing[middle] as ListedJob;
    if (comesBefore(entry, at) || (!orEqual && entry.key === at.key && entry.id === at.id))
      low = middle + 1;
    else high = middle;
  }
  return low;
}

function matcher(params: URLSearchParams): {
  key: string;
  matches: (entry: ListedJob) => boolean;
} {
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
  const matches = ({ job, key: at }: ListedJob) => {
    if (status !== null && job.json.status !== status) return false;
    if (project !== null && job.json.project_id !== project) return false;
    if (organization !== null && job.organizationId !== organization) return false;
    if (ids.length > 0 && !idSet.has(String(job.json.id))) return false;
    if (after !== null || before !== null) {
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
  let after: Keyset = null;
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
      decoded.length !== 3 ||
      typeof decoded[1] !== "string" ||
      typeof decoded[2] !== "string" ||
      decoded[0] !== tokenQueryHash(filterKey)
    ) {
      throw new DemoError(400, "Invalid page_token: it does not belong to this query");
    }
    after = { key: decoded[1], id: decoded[2] };
  }
  return { filterKey, pageSize: Math.min(pageSize, options.maxPageSize), after };
}

/**
 * A keyset token, like the real service's (one sample decodes to a keyset cursor): the sort key
 * and id of the page's last job, so jobs created later, which go to the head, shift no page.
 */
function keysetToken(filterKey: string, last: ListedJob): string {
  return Buffer.from(JSON.stringify([tokenQueryHash(filterKey), last.key, last.id])).toString(
    "base64url",
  );
}

function tokenQueryHash(filterKey: string): string {
  return createHash("sha256").update(filterKey).digest("hex").slice(0, 12);
}

/** Answers one list request over `listing` (undefined: the key was not accepted). */
export function listPage(
  listing: readonly ListedJob[] | undefined,
  params: URLSearchParams,
  settings: ListingSettings,
): { status: number; body: unknown } {
  if (!listing) return { status: 401, body: { detail: "Invalid authentication credentials" } };
  try {
    const { key, matches } = matcher(params);
    const query = readQuery(params, key, settings);
    const all = listing.filter(matches);
    // The page starts after the token's job, whether or not that job still exists.
    const start = query.after === null ? 0 : firstAfter(all, query.after);
    const page = all.slice(start, start + query.pageSize);
    const body: Record<string, unknown> = { items: page.map((entry) => entry.job.json) };
    const last = page[page.length - 1];
    if (last !== undefined && start + page.length < all.length)
      body.next_page_token = keysetToken(key, last);
    else if (settings.lastPageToken === "null") body.next_page_token = null;
    else if (settings.lastPageToken === "empty") body.next_page_token = "";
    if (settings.totalSize) body.total_size = all.length;
    return { status: 200, body };
  } catch (error) {
    if (error instanceof DemoError) return { status: error.status, body: { detail: error.detail } };
    throw error;
  }
}
