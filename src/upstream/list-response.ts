import { GatewayError, isRecord } from "./errors.js";
import { type ParseJobRecord, readJobRecord, type UpstreamItem } from "./job-record.js";

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

/** Reads a 2xx body of the list endpoint; a body that is not the documented shape is UPSTREAM_BAD_RESPONSE. */
export function parseListPage(
  body: string,
  status: number,
  redact: (text: string) => string = (text) => text,
): ListPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badResponse(
      `the body is not JSON (starts with ${JSON.stringify(redact(body).slice(0, 40))})`,
      status,
    );
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) {
    throw badResponse("the body has no `items` array", status);
  }
  const token = parsed.next_page_token;
  if (token !== undefined && token !== null && typeof token !== "string") {
    throw badResponse(`next_page_token is a ${typeof token}, not a string`, status);
  }
  const total = parsed.total_size;
  return {
    items: parsed.items.map(readItem),
    nextPageToken: token ? token : null,
    totalSize:
      typeof total === "number" && Number.isFinite(total) && total >= 0 ? Math.floor(total) : null,
  };
}

function readItem(item: unknown, index: number): ParseJobRecord | UnreadableItem {
  if (!isRecord(item)) {
    return { unreadable: `item ${index} of the upstream page is not an object` };
  }
  if (typeof item.id !== "string" || item.id === "") {
    return {
      unreadable: `item ${index} of the upstream page has no usable id (got ${JSON.stringify(item.id) ?? "nothing"})`,
    };
  }
  // Each field is read once, here; one odd field costs that field, not the page.
  return readJobRecord(item as UpstreamItem);
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
