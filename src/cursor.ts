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
 * filter and token, so the part of the cursor they make up (and its hash) is built once, and each
 * edge adds only its skip, its job id and a checksum mixed from the page's hash by integer
 * arithmetic.
 *
 * The shared part is JSON padded with spaces to a whole number of base64 groups (3 bytes), so
 * its base64url text can be reused and the edge's own bytes appended: the result is the base64url
 * of one JSON array, exactly what `decodeCursor` reads.
 */
export function cursorEncoder(filterKey: string): (position: Position) => string {
  let lastToken: string | null | undefined;
  let lastVersion = 0;
  let prefix: { ascii: Buffer; seed: number } = { ascii: Buffer.alloc(0), seed: 0 };
  return (position) => {
    const token = position === END ? null : position.token;
    const skip = position === END ? -1 : position.skip;
    const id = position === END ? undefined : position.id;
    const version = id === undefined ? V2 : V3;
    if (token !== lastToken || version !== lastVersion) {
      prefix = pagePrefix(version, filterHash(filterKey), token);
      lastToken = token;
      lastVersion = version;
    }
    const sum = positionChecksum(prefix.seed, skip, id);
    // The id is per edge, so it goes in the tail, escaped down to ASCII (the tail is written one
    // byte per character); JSON.parse reads the escapes back to the same string.
    const tail = id === undefined ? `${skip},"${sum}"]` : `${skip},${asciiJson(id)},"${sum}"]`;
    return withBase64urlTail(prefix.ascii, tail);
  };
}

/** Printable ASCII but `"` and `\`: what JSON writes as it is, the usual id (`pjb-…`, a UUID). */
const PLAIN_JSON = /^[ !#-[\]-~]*$/;

/** JSON for `text` with every character outside printable ASCII written as a `\u` escape. */
function asciiJson(text: string): string {
  if (PLAIN_JSON.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
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

function pagePrefix(
  version: number,
  hash: string,
  token: string | null,
): { ascii: Buffer; seed: number } {
  const json = `[${version},${JSON.stringify(hash)},${JSON.stringify(token)},`;
  const padding = (3 - (Buffer.byteLength(json) % 3)) % 3;
  return {
    ascii: Buffer.from(Buffer.from(json + " ".repeat(padding)).toString("base64url"), "latin1"),
    seed: pageSeed(version, hash, token),
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
