import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { TimestampError, timestampSortKey, toUtcTimestamp } from "../date-time.js";
import { type DemoJob, generateJobs } from "./data.js";

export type { DemoJob } from "./data.js";

/**
 * A stand-in of LlamaCloud's `GET /api/v2/parse`, faithful to what is known of it: bearer keys,
 * repeated `job_ids`, inclusive date bounds, newest first, opaque page tokens bound to their query,
 * a silent page-size cap, FastAPI-shaped errors. It logs every request it receives so that tests
 * can count calls exactly, and it fails on demand.
 */

/** A request as the stand-in received it. */
export interface DemoRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** The `x-request-id` header, when the caller sent one. */
  requestId: string | undefined;
}

/** A failure to serve instead of the real answer, for the next `times` matching requests. */
export interface DemoFault {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (or before the real answer, when no status is set). */
  delayMs?: number;
  /** Drop the connection without an answer. */
  hangUp?: boolean;
  times?: number;
  /** Only requests for which this holds take the fault. */
  when?: (request: DemoRequest) => boolean;
}

export interface DemoUpstreamOptions {
  /** Bearer key → that caller's jobs. Default: one key, `demo-key`, with the seeded jobs. */
  tenants?: Record<string, DemoJob[]>;
  /** The most items one page holds, whatever `page_size` asks (default 100). */
  maxPageSize?: number;
  /** Page size when none is asked (default 20). */
  defaultPageSize?: number;
  /** Whether answers carry `total_size` (default true). */
  totalSize?: boolean;
  /** How the last page says it is last (default: the token is absent). */
  lastPageToken?: "absent" | "null" | "empty";
  port?: number;
}

export interface DemoUpstream {
  /** Base URL, e.g. `http://127.0.0.1:43210`. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: DemoRequest[];
  /** Requests to the list endpoint so far. */
  listCalls(): number;
  inject(fault: DemoFault): void;
  /** Forgets the request log and any pending faults. */
  reset(): void;
  close(): Promise<void>;
}

export const DEMO_KEY = "demo-key";
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
function sortNewestFirst(jobs: DemoJob[]): DemoJob[] {
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

function readQuery(
  params: URLSearchParams,
  filterKey: string,
  options: Required<Omit<DemoUpstreamOptions, "tenants" | "port">>,
): Query {
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

/** Starts the stand-in on loopback (an ephemeral port unless one is given). */
export async function startDemoUpstream(options: DemoUpstreamOptions = {}): Promise<DemoUpstream> {
  const settings = {
    maxPageSize: options.maxPageSize ?? 100,
    defaultPageSize: options.defaultPageSize ?? 20,
    totalSize: options.totalSize ?? true,
    lastPageToken: options.lastPageToken ?? "absent",
  };
  const tenants = new Map(
    Object.entries(options.tenants ?? { [DEMO_KEY]: generateJobs() }).map(([key, jobs]) => [
      key,
      sortNewestFirst(jobs),
    ]),
  );
  const requests: DemoRequest[] = [];
  let faults: DemoFault[] = [];

  const answer = (
    listing: DemoJob[] | undefined,
    params: URLSearchParams,
  ): { status: number; body: unknown } => {
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
      if (error instanceof DemoError)
        return { status: error.status, body: { detail: error.detail } };
      throw error;
    }
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://demo");
    const request: DemoRequest = {
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      requestId: req.headers["x-request-id"] as string | undefined,
    };
    requests.push(request);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body);
    };
    const fault = faults.find((f) => (f.times ?? 1) > 0 && (f.when?.(request) ?? true));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.hangUp) return void req.socket.destroy();
      if (fault.status !== undefined)
        return send(
          fault.status,
          fault.body ?? JSON.stringify({ detail: `Injected fault ${fault.status}` }),
          fault.headers,
        );
    }
    if (url.pathname !== "/api/v2/parse") return send(404, JSON.stringify({ detail: "Not Found" }));
    if (req.method !== "GET") return send(405, JSON.stringify({ detail: "Method Not Allowed" }));
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const { status, body } = answer(
      bearer === undefined ? undefined : tenants.get(bearer),
      url.searchParams,
    );
    send(status, JSON.stringify(body));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    listCalls: () => requests.filter((r) => r.path === "/api/v2/parse").length,
    inject: (fault) => faults.push({ ...fault }),
    reset: () => {
      requests.length = 0;
      faults = [];
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
