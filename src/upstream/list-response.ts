import { GatewayError, isRecord } from "./errors.js";
import { type ParseJobRecord, readJobRecord, type UpstreamItem } from "./job-record.js";
import type { Redactor } from "./redact.js";

/** An item the gateway cannot represent at all (no string id); it still holds its place in the page. */
export interface UnreadableItem {
  readonly unreadable: string;
}

/** One page of `GET /api/v2/parse`. */
export interface ListPage {
  items: Array<ParseJobRecord | UnreadableItem>;
  /** Null at the end: an absent, null or empty token all mean there is no next page. */
  nextPageToken: string | null;
  /** The upstream's estimate of the total, when it sent one. */
  totalSize: number | null;
}

/**
 * Reads a 2xx body of the list endpoint; a body that is not the documented shape is
 * UPSTREAM_BAD_RESPONSE. The credential the call was made with (`redactor`) is taken out of
 * every text the page hands on: the jobs' fields and the messages about what could not be read.
 */
export function parseListPage(body: string, status: number, redactor: Redactor): ListPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // The whole body is scrubbed before it is cut, so the cut cannot leave part of a key.
    const start = redactor.scrub(body).slice(0, 40);
    throw badResponse(`the body is not JSON (starts with ${JSON.stringify(start)})`, status);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) {
    throw badResponse("the body has no `items` array", status);
  }
  const token = parsed.next_page_token;
  if (token !== undefined && token !== null && typeof token !== "string") {
    throw badResponse(`next_page_token is a ${typeof token}, not a string`, status);
  }
  const total = parsed.total_size;
  // One scan of the body; the jobs are searched field by field only when it may quote the key.
  const quotes = redactor.mayQuote(body);
  return {
    items: parsed.items.map((item: unknown, index) => readItem(item, index, redactor, quotes)),
    nextPageToken: token ? token : null,
    totalSize:
      typeof total === "number" && Number.isFinite(total) && total >= 0 ? Math.floor(total) : null,
  };
}

function readItem(
  raw: unknown,
  index: number,
  redactor: Redactor,
  quotes: boolean,
): ParseJobRecord | UnreadableItem {
  if (!isRecord(raw)) {
    return { unreadable: `item ${index} of the upstream page is not an object` };
  }
  if (typeof raw.id !== "string" || raw.id === "") {
    const got = redactor.scrub(JSON.stringify(raw.id) ?? "nothing");
    return { unreadable: `item ${index} of the upstream page has no usable id (got ${got})` };
  }
  const item = quotes ? redactedItem(raw, redactor) : raw;
  // An id is not shown in part: a job whose id held the key would be a job under a made-up id.
  if (item.id !== raw.id) {
    return {
      unreadable: `item ${index} of the upstream page has an id that quotes the credential`,
    };
  }
  // Each field is read once, here; one odd field costs that field, not the page.
  return readJobRecord(item as UpstreamItem);
}

/** The item with the key taken out of each of its string fields; itself when none held it. */
function redactedItem(item: Record<string, unknown>, redactor: Redactor): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(item)) {
    if (typeof value !== "string") continue;
    const redacted = redactor.redact(value);
    if (redacted === value) continue;
    copy ??= { ...item };
    copy[field] = redacted;
  }
  return copy ?? item;
}

/** True for an item that could not be read as a job. */
export function isUnreadable(item: ParseJobRecord | UnreadableItem): item is UnreadableItem {
  return "unreadable" in item && typeof item.unreadable === "string" && !("id" in item);
}

function badResponse(reason: string, status: number): GatewayError {
  return new GatewayError(
    "UPSTREAM_BAD_RESPONSE",
    `LlamaCloud sent an unexpected answer: ${reason}`,
    {
      upstreamStatus: status,
    },
  );
}
