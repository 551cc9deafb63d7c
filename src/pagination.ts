import { END, type Position } from "./cursor.js";
import { isBudgetExhausted } from "./upstream/call-budget.js";
import { GatewayError } from "./upstream/errors.js";
import type { ParseJobRecord } from "./upstream/job-record.js";
import { isUnreadable, type ListPage, type UnreadableItem } from "./upstream/list-response.js";

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
 * How many more items a resume inside a page asks for than it needs: up to this many jobs created
 * since the cursor was issued (which push its job down the page) are absorbed at no extra call.
 */
export const REALIGN_SLACK = 10;

/**
 * Collects `first` items starting at `start`, following page tokens when the upstream returns
 * fewer items than asked for (a silent cap).
 *
 * Costs, when the upstream honours `page_size`: one call from a page boundary; one call for a
 * mid-page resume too, since the page is asked again with room for the skipped items (and
 * `REALIGN_SLACK` more). When a cap bites, each next page is asked only for what is still missing.
 * The last item of an upstream page gets the next page's token as its position, so a client
 * resuming there starts on a boundary; every other item's position carries its id.
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
  // The job just before the start, to be found again in the first page fetched (see realign).
  let anchor = start.id;
  let need = first;
  for (;;) {
    const slack = anchor === undefined ? 0 : REALIGN_SLACK;
    let page: ListPage;
    try {
      page = await fetchPage(token, Math.min(skip + need + slack, maxPageSize));
    } catch (error) {
      // Out of upstream calls (MAX_UPSTREAM_CALLS) with some edges in hand: a short page is valid
      // Relay, and the last edge's position continues exactly where this one stopped.
      if (isBudgetExhausted(error) && window.items.length > 0) {
        window.hasNextPage = true;
        return window;
      }
      throw error;
    }
    if (!window.fetched) window.totalSize = page.totalSize;
    window.fetched = true;
    const next = page.nextPageToken;
    const count = page.items.length;
    // An upstream that hands back the token it was given would have us read the same page forever.
    if (next !== null && next === token) throw repeatedToken();
    if (anchor !== undefined) {
      skip = realign(page.items, anchor, skip);
      anchor = undefined;
    }

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
      const item = page.items[index] as ParseJobRecord | UnreadableItem;
      const after: Position = !last
        ? isUnreadable(item)
          ? { token, skip: index + 1 }
          : { token, skip: index + 1, id: item.id }
        : next === null
          ? END
          : { token: next, skip: 0 };
      window.items.push({ item, after });
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

/**
 * Where to resume in a page, given the id of the job just before the position and the offset the
 * cursor recorded: right after that job wherever it now is (new jobs at the head of a newest-first
 * listing push it down, deleted ones pull it up).
 *
 * When it is not in the page, the likeliest reason is that this very job is gone (deleted, or no
 * longer matching the filter, as a RUNNING job does when it completes): the job after it then
 * sits one place up, so paging resumes at `skip - 1`. That is exact when nothing else changed
 * before the position. If, instead, more than `REALIGN_SLACK` new jobs pushed it out of reach,
 * the same offset repeats some jobs: erring towards a repeat (which a client can drop by id)
 * rather than a silent gap. Jobs removed before it as well still leave a gap of that many.
 */
function realign(
  items: ReadonlyArray<ParseJobRecord | UnreadableItem>,
  id: string,
  skip: number,
): number {
  // Ids should be unique; if the upstream repeats one, the occurrence nearest the offset wins.
  let best = -1;
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as ParseJobRecord | UnreadableItem;
    if (isUnreadable(item) || item.id !== id) continue;
    if (best === -1 || Math.abs(index - (skip - 1)) < Math.abs(best - (skip - 1))) best = index;
  }
  return best === -1 ? skip - 1 : best + 1;
}

/** The error for an upstream whose next page token is the one it was just asked with. */
export function repeatedToken(): GatewayError {
  return new GatewayError(
    "UPSTREAM_BAD_RESPONSE",
    "LlamaCloud sent back the page token it was asked with as the next one: paging would not advance",
  );
}
