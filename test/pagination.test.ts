import { describe, expect, it } from "vitest";
import { END, START } from "../src/cursor.js";
import { type FetchPage, readWindow } from "../src/pagination.js";
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
    expect(window.items[3]?.after).toEqual({ token: null, skip: 4 });
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
