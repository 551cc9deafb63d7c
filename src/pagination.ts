import { END, type Position } from "./cursor.js";
import { GatewayError } from "./upstream/errors.js";
import type { ParseJobRecord } from "./upstream/job-record.js";
import type { ListPage, UnreadableItem } from "./upstream/list-response.js";

/** Fetches one upstream page of the listing: the page `token` starts, at most `pageSize` items. */
export type FetchPage = (token: string | null, pageSize: number) => Promise<ListPage>;

/** An item of the window with the position just after it (what its cursor encodes). */
export interface WindowItem {
  item: ParseJobRecord | UnreadableItem;
  after: Position;
}

/** Up to `first` items from a position, and whether more exist after them. */
export interface Window {
  items: WindowItem[];
  hasNextPage: boolean;
  /** The upstream's `total_size` from the first page fetched; null when absent or nothing was fetched. */
  totalSize: number | null;
  /** Whether any upstream call was made. */
  fetched: boolean;
}

/**
 * Collects `first` items starting at `start`, following page tokens when the upstream returns
 * fewer items than asked for (a silent cap).
 *
 * Costs, when the upstream honours `page_size`: one call from a page boundary; one call for a
 * mid-page resume too, since the page is asked again with room for the skipped items. When a cap
 * bites, each next page is asked only for what is still missing. The last item of an upstream page
 * gets the next page's token as its position, so a client resuming there starts on a boundary.
 */
export async function readWindow(
  fetchPage: FetchPage,
  start: Position,
  first: number,
  maxPageSize: number,
): Promise<Window> {
  const window: Window = { items: [], hasNextPage: false, totalSize: null, fetched: false };
  if (start === END || first <= 0) return window;

  let token = start.token;
  let skip = start.skip;
  let need = first;
  for (;;) {
    const page = await fetchPage(token, Math.min(skip + need, maxPageSize));
    if (!window.fetched) window.totalSize = page.totalSize;
    window.fetched = true;
    const next = page.nextPageToken;
    const count = page.items.length;
    // An upstream that hands back the token it was given would have us read the same page forever.
    if (next !== null && next === token) throw repeatedToken();

    // An empty page ends the listing whatever its token says (the SDKs stop there too).
    if (count === 0) return window;
    if (count <= skip) {
      // Every item of this page lies before the start (we asked for fewer than the skip, or the
      // page shrank since the cursor was issued): the rest of the skip carries into the next page.
      if (next === null) return window;
      skip -= count;
      token = next;
      continue;
    }

    const taken = Math.min(need, count - skip);
    for (let index = skip; index < skip + taken; index++) {
      const last = index === count - 1;
      const after: Position = !last
        ? { token, skip: index + 1 }
        : next === null
          ? END
          : { token: next, skip: 0 };
      window.items.push({ item: page.items[index] as ParseJobRecord | UnreadableItem, after });
    }
    need -= taken;
    const leftOver = skip + taken < count;
    if (need === 0 || next === null) {
      window.hasNextPage = leftOver || next !== null;
      return window;
    }
    token = next;
    skip = 0;
  }
}

/** The error for an upstream whose next page token is the one it was just asked with. */
export function repeatedToken(): GatewayError {
  return new GatewayError(
    "UPSTREAM_BAD_RESPONSE",
    "LlamaCloud sent back the page token it was asked with as the next one: paging would not advance",
  );
}
