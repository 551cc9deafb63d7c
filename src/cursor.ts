import crypto from "node:crypto";
import { badUserInput } from "./upstream/errors.js";

/**
 * Where a listing resumes: skip `skip` items of the upstream page that `token` starts (null: the
 * first page). `END` is past the last job, so resuming there needs no upstream call. `id`, set for
 * a position inside a page, is the job just before it: the offset alone shifts when jobs are
 * created at the head of the listing, and the id lets `readWindow` find the spot again.
 */
export type Position =
  | { readonly token: string | null; readonly skip: number; readonly id?: string }
  | typeof END;
export const END = "end" as const;

/** The start of a listing. */
export const START: Position = { token: null, skip: 0 };

/** Cursors longer than this are garbage, not something the gateway issued. */
const MAX_CURSOR_LENGTH = 4096;
/** Version 2: a page token and an offset; still issued for positions without a job id. */
const V2 = 2;
/** Version 3: version 2 plus the id of the job just before the position. */
const V3 = 3;

/**
 * Encodes a position as an opaque cursor bound to the filter it was issued under.
 *
 * The cursor is base64url JSON `[2, filterHash, token, skip, checksum]`, or, for a position with
 * a job id, `[3, filterHash, token, skip, id, checksum]`. The checksum is not
 * a keyed MAC: cursors must stay valid across restarts and replicas, and a forged one could only
 * send the caller's own credential to a page token of their choosing, which the upstream checks.
 * What it catches is corruption and hand-editing, with a clear error.
 */
export function encodeCursor(position: Position, filterKey: string): string {
  return cursorEncoder(filterKey)(position);
}

/**
 * Returns an encoder for the cursors of one page: every edge of an upstream page shares its
 * filter and token, so their hash (a sha256) is taken once per page, and each edge adds only its
 * skip, its job id and a checksum mixed from that hash by integer arithmetic. The cursor itself is
 * plain `Buffer` base64url of the JSON: a hand-written encoder into a reused buffer bought
 * nothing measurable (BENCHMARKS.md, "Fifth session").
 */
export function cursorEncoder(filterKey: string): (position: Position) => string {
  const hash = filterHash(filterKey);
  let lastToken: string | null | undefined;
  let lastVersion = 0;
  let seed = 0;
  return (position) => {
    const token = position === END ? null : position.token;
    const skip = position === END ? -1 : position.skip;
    const id = position === END ? undefined : position.id;
    const version = id === undefined ? V2 : V3;
    if (token !== lastToken || version !== lastVersion) {
      seed = pageSeed(version, hash, token);
      lastToken = token;
      lastVersion = version;
    }
    const sum = positionChecksum(seed, skip, id);
    const fields =
      id === undefined ? [version, hash, token, skip, sum] : [version, hash, token, skip, id, sum];
    return Buffer.from(JSON.stringify(fields)).toString("base64url");
  };
}

/** 32 bits of sha256 over what the page's cursors share. */
function pageSeed(version: number, hash: string, token: string | null): number {
  return Number.parseInt(
    sha256(`parse-jobs-cursor|${version}|${hash}|${JSON.stringify(token)}`, "hex").slice(0, 8),
    16,
  );
}

/**
 * murmur3's 32-bit finaliser over the page seed, the skip and (version 3) the id's UTF-16 units
 * folded in FNV-1a style: any edit of any of them shows. Without an id it is version 2's checksum.
 */
function positionChecksum(seed: number, skip: number, id?: string): string {
  let h = (seed ^ Math.imul(skip + 2, 0x9e3779b1)) >>> 0;
  if (id !== undefined) {
    h = Math.imul(h ^ id.length, 0x01000193);
    for (let index = 0; index < id.length; index++) {
      h = Math.imul(h ^ id.charCodeAt(index), 0x01000193);
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0).toString(36);
}

/**
 * Decodes a cursor from `after`, refusing garbage, edits, cursors from another filter and (when
 * `maxPageSize` is given) offsets deeper than any page the gateway asks for.
 */
export function decodeCursor(cursor: string, filterKey: string, maxPageSize?: number): Position {
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
  if (!Array.isArray(fields)) throw invalid();
  const version: unknown = fields[0];
  // Version 3 has the id between the skip and the checksum; 2 has none. Version 1 is no longer
  // read: it was never issued outside this repository's own development.
  if (fields.length !== (version === V3 ? 6 : 5)) throw invalid();
  const [, hash, token, skip] = fields as unknown[];
  const id: unknown = version === V3 ? fields[4] : undefined;
  const sum: unknown = fields[fields.length - 1];
  if (
    (version !== V2 && version !== V3) ||
    typeof hash !== "string" ||
    (token !== null && typeof token !== "string") ||
    typeof skip !== "number" ||
    !Number.isSafeInteger(skip) ||
    skip < -1 ||
    // An id names the job just before a position inside a page, so it needs a skip of 1 or more.
    (version === V3 && (typeof id !== "string" || skip < 1)) ||
    sum !==
      positionChecksum(
        pageSeed(version, hash, token),
        skip,
        typeof id === "string" ? id : undefined,
      )
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
  // The gateway never asks for pages above MAX_PAGE_SIZE, so it never issues a deeper offset: such
  // a cursor was hand-made (or MAX_PAGE_SIZE was lowered since), and would cost a needless call.
  if (maxPageSize !== undefined && skip > maxPageSize) {
    throw badUserInput(
      `after: this cursor points ${skip} items into an upstream page, deeper than any page of at most ${maxPageSize} items (MAX_PAGE_SIZE) this gateway asks for; start again without \`after\``,
    );
  }
  return typeof id === "string" ? { token, skip, id } : { token, skip };
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

/** One-shot `crypto.hash` (Node 20.12+) skips the Hash object that `createHash` builds per call. */
function sha256(data: string, encoding: "base64url" | "hex" = "base64url"): string {
  return typeof crypto.hash === "function"
    ? crypto.hash("sha256", data, encoding)
    : crypto.createHash("sha256").update(data).digest(encoding);
}
