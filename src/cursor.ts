import crypto from "node:crypto";
import { badUserInput } from "./upstream/errors.js";

/**
 * Where a listing resumes: skip `skip` items of the upstream page that `token` starts (null: the
 * first page). `END` is past the last job, so resuming there needs no upstream call.
 */
export type Position = { readonly token: string | null; readonly skip: number } | typeof END;
export const END = "end" as const;

/** The start of a listing. */
export const START: Position = { token: null, skip: 0 };

/** Cursors longer than this are garbage, not something the gateway issued. */
const MAX_CURSOR_LENGTH = 4096;
const VERSION = 1;

/**
 * Encodes a position as an opaque cursor bound to the filter it was issued under.
 *
 * The cursor is base64url JSON `[version, filterHash, token, skip, checksum]`. The checksum is a
 * plain hash, not a keyed MAC: cursors must stay valid across restarts and replicas, and a forged
 * one could only send the caller's own credential to a page token of their choosing, which the
 * upstream checks. What it catches is corruption and hand-editing, with a clear error.
 */
export function encodeCursor(position: Position, filterKey: string): string {
  const fields =
    position === END
      ? [VERSION, filterHash(filterKey), null, -1]
      : [VERSION, filterHash(filterKey), position.token, position.skip];
  const body = JSON.stringify(fields);
  // Same bytes as JSON.stringify([...fields, checksum]), without serialising the fields twice.
  const withChecksum = `${body.slice(0, -1)},${JSON.stringify(checksum(body))}]`;
  return Buffer.from(withChecksum).toString("base64url");
}

/** Decodes a cursor from `after`, refusing garbage, edits and cursors from another filter. */
export function decodeCursor(cursor: string, filterKey: string): Position {
  const invalid = () =>
    badUserInput(
      `after: ${JSON.stringify(cursor.length > 60 ? `${cursor.slice(0, 60)}…` : cursor)} is not a cursor this gateway issued; use a cursor from an edge or from pageInfo.endCursor`,
    );
  if (
    cursor.length === 0 ||
    cursor.length > MAX_CURSOR_LENGTH ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw invalid();
  }
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(fields) || fields.length !== 5) throw invalid();
  const [version, hash, token, skip, sum] = fields as unknown[];
  if (
    version !== VERSION ||
    typeof hash !== "string" ||
    (token !== null && typeof token !== "string") ||
    typeof skip !== "number" ||
    !Number.isSafeInteger(skip) ||
    skip < -1 ||
    sum !== checksum(JSON.stringify([version, hash, token, skip]))
  ) {
    throw invalid();
  }
  if (hash !== filterHash(filterKey)) {
    throw badUserInput(
      "after: this cursor was issued for a different filter; page with the same filter as the query that returned it, or start again without `after`",
    );
  }
  if (skip === -1) {
    if (token !== null) throw invalid();
    return END;
  }
  return { token, skip };
}

/**
 * Every edge of a page hashes the same filter key: the last few hashes are kept (bounded, so a
 * stream of distinct filters cannot grow it) and a page pays for one hash instead of one per edge.
 */
const filterHashes = new Map<string, string>();
const MAX_CACHED_FILTER_HASHES = 64;

function filterHash(filterKey: string): string {
  let hash = filterHashes.get(filterKey);
  if (hash === undefined) {
    hash = sha256(filterKey).slice(0, 16);
    if (filterHashes.size >= MAX_CACHED_FILTER_HASHES) filterHashes.clear();
    filterHashes.set(filterKey, hash);
  }
  return hash;
}

function checksum(body: string): string {
  return sha256(`parse-jobs-cursor|${body}`).slice(0, 12);
}

/** One-shot `crypto.hash` (Node 20.12+) skips the Hash object that `createHash` builds per call. */
const sha256: (data: string) => string =
  typeof crypto.hash === "function"
    ? (data) => crypto.hash("sha256", data, "base64url")
    : (data) => crypto.createHash("sha256").update(data).digest("base64url");
