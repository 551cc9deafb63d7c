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
/** Version 1 (checksum: sha256 of the whole body) is still read: cursors outlive deploys. */
const V1 = 1;
const V2 = 2;

/**
 * Encodes a position as an opaque cursor bound to the filter it was issued under.
 *
 * The cursor is base64url JSON `[version, filterHash, token, skip, checksum]`. The checksum is not
 * a keyed MAC: cursors must stay valid across restarts and replicas, and a forged one could only
 * send the caller's own credential to a page token of their choosing, which the upstream checks.
 * What it catches is corruption and hand-editing, with a clear error.
 */
export function encodeCursor(position: Position, filterKey: string): string {
  return cursorEncoder(filterKey)(position);
}

/**
 * Returns an encoder for the cursors of one page: every edge of an upstream page shares its
 * filter and token, so the part of the cursor they make up (and its hash) is built once, and each
 * edge adds only its skip and a checksum mixed from the page's hash by integer arithmetic.
 *
 * The shared part is JSON padded with spaces to a whole number of base64 groups (3 bytes), so
 * its base64url text can be reused and the edge's own bytes appended: the result is the base64url
 * of one JSON array, exactly what `decodeCursor` reads.
 */
export function cursorEncoder(filterKey: string): (position: Position) => string {
  let lastToken: string | null | undefined;
  let prefix: { ascii: Buffer; seed: number } = { ascii: Buffer.alloc(0), seed: 0 };
  return (position) => {
    const token = position === END ? null : position.token;
    const skip = position === END ? -1 : position.skip;
    if (token !== lastToken) {
      prefix = pagePrefix(filterHash(filterKey), token);
      lastToken = token;
    }
    return withBase64urlTail(prefix.ascii, `${skip},"${skipChecksum(prefix.seed, skip)}"]`);
  };
}

const BASE64URL = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
/** Where cursors are put together byte by byte; grown when a long page token needs it. */
let scratch: Buffer = Buffer.allocUnsafe(1024);

/**
 * `prefix` (already base64url) followed by the base64url of the short ASCII `tail`, as one flat
 * string: built in a reused buffer, so an edge allocates its cursor and nothing else (string
 * concatenation left ~500 bytes of pieces per edge for the collector, and a rope to flatten).
 */
function withBase64urlTail(prefix: Buffer, tail: string): string {
  const size = prefix.length + Math.ceil((tail.length * 4) / 3);
  if (size > scratch.length) scratch = Buffer.allocUnsafe(size * 2);
  const out = scratch;
  prefix.copy(out, 0);
  let at = prefix.length;
  let i = 0;
  for (; i + 2 < tail.length; i += 3) {
    const n = (tail.charCodeAt(i) << 16) | (tail.charCodeAt(i + 1) << 8) | tail.charCodeAt(i + 2);
    out[at++] = BASE64URL[n >> 18] as number;
    out[at++] = BASE64URL[(n >> 12) & 63] as number;
    out[at++] = BASE64URL[(n >> 6) & 63] as number;
    out[at++] = BASE64URL[n & 63] as number;
  }
  const rest = tail.length - i;
  if (rest > 0) {
    const n = (tail.charCodeAt(i) << 16) | (rest === 2 ? tail.charCodeAt(i + 1) << 8 : 0);
    out[at++] = BASE64URL[n >> 18] as number;
    out[at++] = BASE64URL[(n >> 12) & 63] as number;
    if (rest === 2) out[at++] = BASE64URL[(n >> 6) & 63] as number;
  }
  return out.toString("latin1", 0, at);
}

function pagePrefix(hash: string, token: string | null): { ascii: Buffer; seed: number } {
  const json = `[${V2},${JSON.stringify(hash)},${JSON.stringify(token)},`;
  const padding = (3 - (Buffer.byteLength(json) % 3)) % 3;
  return {
    ascii: Buffer.from(Buffer.from(json + " ".repeat(padding)).toString("base64url"), "latin1"),
    seed: pageSeed(hash, token),
  };
}

/** 32 bits of sha256 over what the page's cursors share. */
function pageSeed(hash: string, token: string | null): number {
  return Number.parseInt(
    sha256(`parse-jobs-cursor|${V2}|${hash}|${JSON.stringify(token)}`, "hex").slice(0, 8),
    16,
  );
}

/** murmur3's 32-bit finaliser over the page seed and the skip: any edit of either shows. */
function skipChecksum(seed: number, skip: number): string {
  let h = (seed ^ Math.imul(skip + 2, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0).toString(36);
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
    (version !== V1 && version !== V2) ||
    typeof hash !== "string" ||
    (token !== null && typeof token !== "string") ||
    typeof skip !== "number" ||
    !Number.isSafeInteger(skip) ||
    skip < -1 ||
    sum !==
      (version === V1
        ? v1Checksum(JSON.stringify([version, hash, token, skip]))
        : skipChecksum(pageSeed(hash, token), skip))
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

/** The checksum of version 1 cursors, which are still accepted. */
function v1Checksum(body: string): string {
  return sha256(`parse-jobs-cursor|${body}`).slice(0, 12);
}

/** One-shot `crypto.hash` (Node 20.12+) skips the Hash object that `createHash` builds per call. */
function sha256(data: string, encoding: "base64url" | "hex" = "base64url"): string {
  return typeof crypto.hash === "function"
    ? crypto.hash("sha256", data, encoding)
    : crypto.createHash("sha256").update(data).digest(encoding);
}
