import { describe, expect, it } from "vitest";
import { END, START } from "../src/cursor.js";
import { type FetchPage, REALIGN_SLACK, readWindow } from "../src/pagination.js";
import { readJobRecord } from "../src/upstream/job-record.js";

/** A fake upstream over `total` items that caps pages at `cap`; tokens are offsets. */
function fakeUpstream(total: number, cap: number) {
  const calls: Array<[string | null, number]> = [];
  const fetchPage: FetchPage = async (token, pageSize) => {
    calls.push([token, pageSize]);
    const offset = token === null ? 0 : Number(token);
    const size = Math.min(pageSize, cap);
    const items = Array.from({ length: Math.max(0, Math.min(size, total - offset)) }, (_, i) =>
      readJobRecord({ id: `job-${offset + i}` }),
    );
    const end = offset + items.length;
    return { items, nextPageToken: end < total ? String(end) : null, totalSize: total };
  };
  return { calls, fetchPage };
}

const ids = (window: Awaited<ReturnType<typeof readWindow>>) =>
  window.items.map(({ item }) => ("id" in item ? item.id : "?"));

describe("readWindow", () => {
  it("reads one page from a boundary and points the last item at the next token", async () => {
    const upstream = fakeUpstream(50, 100);
    const window = await readWindow(upstream.fetchPage, START, 20, 100);
    expect(ids(window)).toHaveLength(20);
    expect(window.hasNextPage).toBe(true);
    expect(window.items[19]?.after).toEqual({ token: "20", skip: 0 });
    expect(window.items[3]?.after).toEqual({ token: null, skip: 4, id: "job-3" });
    expect(upstream.calls).toEqual([[null, 20]]);
  });

  it("resumes mid-page with one call, asking room for the skipped items", async () => {
    const upstream = fakeUpstream(50, 100);
    const window = await readWindow(upstream.fetchPage, { token: "20", skip: 4 }, 10, 100);
    expect(ids(window)[0]).toBe("job-24");
    expect(upstream.calls).toEqual([["20", 14]]);
  });

  it("follows tokens under a cap, asking only for the remainder", async () => {
    const upstream = fakeUpstream(50, 7);
    const window = await readWindow(upstream.fetchPage, START, 20, 100);
    expect(ids(window)).toEqual(Array.from({ length: 20 }, (_, i) => `job-${i}`));
    expect(upstream.calls).toEqual([
      [null, 20],
      ["7", 13],
      ["14", 6],
    ]);
    expect(window.items[19]?.after).toEqual({ token: "20", skip: 0 });
  });

  it("carries a skip larger than a capped page into the next page", async () => {
    const upstream = fakeUpstream(50, 7);
    const window = await readWindow(upstream.fetchPage, { token: null, skip: 9 }, 2, 100);
    expect(ids(window)).toEqual(["job-9", "job-10"]);
  });

  it("knows the end exactly: the last item of the last page is END", async () => {
    const upstream = fakeUpstream(20, 100);
    const window = await readWindow(upstream.fetchPage, START, 20, 100);
    expect(window.hasNextPage).toBe(false);
    expect(window.items[19]?.after).toBe(END);
    expect(await readWindow(upstream.fetchPage, END, 20, 100)).toMatchObject({
      items: [],
      fetched: false,
    });
    expect(upstream.calls).toHaveLength(1);
  });

  it("never asks the upstream for more than the page size limit", async () => {
    const upstream = fakeUpstream(500, 1000);
    await readWindow(upstream.fetchPage, { token: null, skip: 90 }, 100, 100);
    expect(upstream.calls).toEqual([
      [null, 100],
      ["100", 90],
    ]);
  });

  it("refuses an upstream that answers every page token with the same token", async () => {
    const fetchPage: FetchPage = async () => ({
      items: [readJobRecord({ id: "job-0" })],
      nextPageToken: "same",
      totalSize: null,
    });
    await expect(readWindow(fetchPage, { token: "same", skip: 0 }, 5, 100)).rejects.toThrow(
      "paging would not advance",
    );
  });
});

/**
 * A fake upstream with offset tokens over a listing that changes between calls (`jobs`, newest
 * first): new jobs go in front, deleted ones leave gaps that pull the rest up, as offsets do.
 */
function liveUpstream(count: number) {
  const jobs = Array.from({ length: count }, (_, i) => `job-${i}`);
  const calls: Array<[string | null, number]> = [];
  const fetchPage: FetchPage = async (token, pageSize) => {
    calls.push([token, pageSize]);
    const offset = token === null ? 0 : Number(token);
    const page = jobs.slice(offset, offset + pageSize);
    const end = offset + page.length;
    return {
      items: page.map((id) => readJobRecord({ id })),
      nextPageToken: end < jobs.length ? String(end) : null,
      totalSize: null,
    };
  };
  return { jobs, calls, fetchPage };
}

describe("readWindow re-aligns a mid-page position on its job id", () => {
  it("gives positions inside a page the id of the job before them, and boundaries none", async () => {
    const upstream = liveUpstream(30);
    const window = await readWindow(upstream.fetchPage, START, 10, 100);
    expect(window.items[4]?.after).toEqual({ token: null, skip: 5, id: "job-4" });
    expect(window.items[9]?.after).toEqual({ token: "10", skip: 0 });
    const boundary = await readWindow(liveUpstream(10).fetchPage, START, 10, 100);
    expect(boundary.items[9]?.after).toBe(END);
  });

  it("resumes right after its job when new jobs arrived at the head, with one call", async () => {
    const upstream = liveUpstream(50);
    const first = await readWindow(upstream.fetchPage, START, 10, 100);
    const cursor = first.items[4]?.after ?? END;
    upstream.jobs.unshift("new-2", "new-1", "new-0");
    const window = await readWindow(upstream.fetchPage, cursor, 10, 100);
    expect(ids(window)).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i + 5}`));
    expect(upstream.calls.slice(1)).toEqual([[null, 5 + 10 + REALIGN_SLACK]]);
    // The new positions name where the jobs are now, so the next resume is exact too.
    expect(window.items[0]?.after).toEqual({ token: null, skip: 9, id: "job-5" });
    expect(window.hasNextPage).toBe(true);
  });

  it("re-aligns on later pages as well (an offset token shifts like the first page)", async () => {
    const upstream = liveUpstream(80);
    const window = await readWindow(
      upstream.fetchPage,
      { token: "20", skip: 6, id: "job-25" },
      5,
      100,
    );
    expect(ids(window)).toEqual(["job-26", "job-27", "job-28", "job-29", "job-30"]);
    upstream.jobs.unshift("new-0", "new-1", "new-2", "new-3");
    const shifted = await readWindow(
      upstream.fetchPage,
      { token: "20", skip: 6, id: "job-25" },
      5,
      100,
    );
    expect(ids(shifted)).toEqual(["job-26", "job-27", "job-28", "job-29", "job-30"]);
  });

  it("follows its job up when jobs before it were deleted", async () => {
    const upstream = liveUpstream(40);
    upstream.jobs.splice(1, 2);
    const window = await readWindow(
      upstream.fetchPage,
      { token: null, skip: 8, id: "job-7" },
      3,
      100,
    );
    expect(ids(window)).toEqual(["job-8", "job-9", "job-10"]);
  });

  it("when its job is gone, resumes one place up: exact if that job alone left", async () => {
    const upstream = liveUpstream(40);
    upstream.jobs.splice(upstream.jobs.indexOf("job-7"), 1);
    const window = await readWindow(
      upstream.fetchPage,
      { token: null, skip: 8, id: "job-7" },
      3,
      100,
    );
    expect(ids(window)).toEqual(["job-8", "job-9", "job-10"]);
    expect(upstream.calls).toHaveLength(1);
  });

  it("when more new jobs arrived than the slack, repeats some jobs rather than skip any", async () => {
    const upstream = liveUpstream(60);
    const arrivals = REALIGN_SLACK + 5;
    upstream.jobs.unshift(...Array.from({ length: arrivals }, (_, i) => `new-${i}`));
    const window = await readWindow(
      upstream.fetchPage,
      { token: null, skip: 8, id: "job-7" },
      3,
      100,
    );
    // The offset is all there is: it lands among the new jobs, which come first, then job-0 on.
    expect(ids(window)).toEqual([`new-${7}`, `new-${8}`, `new-${9}`]);
    expect(upstream.calls).toHaveLength(1);
  });

  it("gives a position after an unreadable item (no id) only its offset", async () => {
    const fetchPage: FetchPage = async () => ({
      items: [{ unreadable: "item 0 has no id" }, readJobRecord({ id: "job-1" })],
      nextPageToken: null,
      totalSize: null,
    });
    const window = await readWindow(fetchPage, START, 2, 100);
    expect(window.items.map(({ after }) => after)).toEqual([{ token: null, skip: 1 }, END]);
  });

  it("never asks above the page size limit for the slack", async () => {
    const upstream = liveUpstream(300);
    await readWindow(upstream.fetchPage, { token: null, skip: 50, id: "job-49" }, 45, 100);
    expect(upstream.calls).toEqual([[null, 100]]);
  });

  it("carries a re-aligned skip into the next page when its job is the page's last", async () => {
    const upstream = liveUpstream(40);
    // The page is capped at 12 items here (maxPageSize), and job-9 moved to its end.
    upstream.jobs.unshift("new-0", "new-1");
    const window = await readWindow(
      upstream.fetchPage,
      { token: null, skip: 10, id: "job-9" },
      3,
      12,
    );
    expect(ids(window)).toEqual(["job-10", "job-11", "job-12"]);
    expect(upstream.calls).toEqual([
      [null, 12],
      ["12", 3],
    ]);
  });
});
