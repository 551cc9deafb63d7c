import http from "node:http";
import type { AddressInfo } from "node:net";
import { type DemoJob, generateJobs } from "./data.js";
import {
  insertNewestFirst,
  type ListedJob,
  type ListingSettings,
  listPage,
  sortNewestFirst,
} from "./listing.js";

export type { DemoJob } from "./data.js";

/**
 * A stand-in of LlamaCloud's `GET /api/v2/parse`, faithful to what is known of it: bearer keys,
 * repeated `job_ids`, inclusive date bounds, newest first, opaque keyset page tokens bound to their
 * query, a silent page-size cap, no `total_size` unless asked for, FastAPI-shaped errors. Jobs can
 * be added and deleted while it runs, as on the real service. It logs every request it receives so that tests
 * can count calls exactly, and it fails on demand.
 */

/** A request as the stand-in received it. */
export interface DemoRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** The `x-request-id` header, when the caller sent one. */
  requestId: string | undefined;
  /** The W3C `traceparent` header, when the caller sent one (the gateway does with tracing on). */
  traceparent: string | undefined;
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
  /** Bearer key → that caller's jobs. Default: one key, `DEMO_KEY`, with the seeded jobs. */
  tenants?: Record<string, DemoJob[]>;
  /** The most items one page holds, whatever `page_size` asks (default 100). */
  maxPageSize?: number;
  /** Page size when none is asked (default 20). */
  defaultPageSize?: number;
  /**
   * Whether answers carry `total_size` (default false: LlamaCloud fills it only "when specifically
   * requested", with no documented parameter to request it).
   */
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
  /**
   * Adds jobs to a key's listing (default: the demo key), each in its sorted place: the head, for
   * jobs created after the others.
   */
  addJobs(jobs: DemoJob[], key?: string): void;
  /** Deletes jobs by id from a key's listing (default: the demo key). */
  removeJobs(ids: readonly string[], key?: string): void;
  /**
   * Changes one job's fields in place (`status`, `updated_at`, `error_message`…; not
   * `created_at`, which sets its place in the listing), as a job moves on the real service. A
   * field set to undefined is removed. False when the key has no such job.
   */
  updateJob(id: string, changes: Readonly<Record<string, unknown>>, key?: string): boolean;
  /** Forgets the request log and any pending faults. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The demo's one key, shaped like a LlamaCloud key (`llx-` and a random-looking tail): a key made
 * of common words would turn up in the demo's own job names, and the gateway would then search
 * every page for it (src/upstream/redact.ts), as it never needs to for a real key.
 */
export const DEMO_KEY = "llx-demo-7Kq2Vw9Xr4Tz";
/** Starts the stand-in on loopback (an ephemeral port unless one is given). */
export async function startDemoUpstream(options: DemoUpstreamOptions = {}): Promise<DemoUpstream> {
  const settings: ListingSettings = {
    maxPageSize: options.maxPageSize ?? 100,
    defaultPageSize: options.defaultPageSize ?? 20,
    totalSize: options.totalSize ?? false,
    lastPageToken: options.lastPageToken ?? "absent",
  };
  const tenants = new Map<string, ListedJob[]>(
    Object.entries(options.tenants ?? { [DEMO_KEY]: generateJobs() }).map(([key, jobs]) => [
      key,
      sortNewestFirst(jobs),
    ]),
  );
  const requests: DemoRequest[] = [];
  let faults: DemoFault[] = [];

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://demo");
    const request: DemoRequest = {
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      requestId: req.headers["x-request-id"] as string | undefined,
      traceparent: req.headers.traceparent as string | undefined,
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
    const { status, body } = listPage(
      bearer === undefined ? undefined : tenants.get(bearer),
      url.searchParams,
      settings,
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
    addJobs: (jobs, key = DEMO_KEY) => {
      const listing = tenants.get(key) ?? [];
      tenants.set(key, listing);
      insertNewestFirst(listing, jobs);
    },
    removeJobs: (ids, key = DEMO_KEY) => {
      const listing = tenants.get(key) ?? [];
      const gone = new Set(ids);
      // In place: the server's handler holds this same array.
      for (let index = listing.length - 1; index >= 0; index--) {
        if (gone.has((listing[index] as ListedJob).id)) listing.splice(index, 1);
      }
    },
    updateJob: (id, changes, key = DEMO_KEY) => {
      const listing = tenants.get(key) ?? [];
      const index = listing.findIndex((entry) => entry.id === id);
      const entry = listing[index];
      if (entry === undefined) return false;
      const json: Record<string, unknown> = { ...entry.job.json, ...changes };
      for (const [field, value] of Object.entries(changes)) {
        if (value === undefined) delete json[field];
      }
      // A new entry in the same place: pages already served keep the objects they were built of.
      listing[index] = { ...entry, job: { ...entry.job, json } };
      return true;
    },
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
