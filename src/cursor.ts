import { createHash } from "node:crypto";
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
  return Buffer.from(JSON.stringify([...fields, checksum(body)])).toString("base64url");
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

function filterHash(filterKey: string): string {
  return createHash("sha256").update(filterKey).digest("base64url").slice(0, 16);
}

function checksum(body: string): string {
  return createHash("sha256").update(`parse-jobs-cursor|${body}`).digest("base64url").slice(0, 12);
}
