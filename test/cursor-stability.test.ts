import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeCursor } from "../src/cursor.js";
import { DEMO_KEY, type DemoJob } from "../src/demo-upstream/server.js";
import { IdsQuery } from "./support/operations.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

/**
 * LlamaCloud lists newest first while jobs keep being created: cursors must not shift when new
 * jobs arrive at the head. Over real HTTP, against a demo upstream that gains jobs as it runs.
 */

let stack: Stack;
/** The listing before any job was added, newest first. */
let original: string[];
let created = 0;

/** Jobs created "now": later than every seeded job, so they go to the head of the listing. */
function newJobs(count: number): DemoJob[] {
  return Array.from({ length: count }, () => {
    created++;
    const at = new Date(Date.UTC(2026, 6, 1) + created * 1000).toISOString();
    return {
      json: {
        id: `pjb-new-${created}`,
        project_id: "prj-new",
        status: "COMPLETED",
        created_at: at,
      },
      organizationId: "org-demo-alpha",
    };
  });
}

async function page(first: number, after?: string | null) {
  const answer = await stack.query(IdsQuery, { first, after });
  const connection = answer.data?.parseJobs;
  if (!connection) throw new Error(`no page: ${JSON.stringify(answer.errors)}`);
  return {
    ids: connection.edges.map((edge) => edge?.node.id ?? "?"),
    cursors: connection.edges.map((edge) => edge?.cursor ?? ""),
    pageInfo: connection.pageInfo,
  };
}

beforeEach(async () => {
  stack = await startStack();
  original = (await restListing(stack.demo)).map((job) => String(job.id));
  stack.demo.reset();
});

afterEach(() => stack.close());

describe("cursors when new jobs arrive at the head", () => {
  it("resume after a mid-page edge exactly where it was, with one upstream call", async () => {
    const first = await page(10);
    stack.demo.addJobs(newJobs(3));
    stack.demo.reset();
    const next = await page(10, first.cursors[4]);
    expect(next.ids).toEqual(original.slice(5, 15));
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("resume from a page boundary with no shift (keyset page tokens)", async () => {
    const first = await page(10);
    stack.demo.addJobs(newJobs(3));
    stack.demo.reset();
    const next = await page(10, first.pageInfo.endCursor);
    expect(next.ids).toEqual(original.slice(10, 20));
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("resume mid-page on a later upstream page too", async () => {
    const first = await page(10);
    const second = await page(10, first.pageInfo.endCursor);
    stack.demo.addJobs(newJobs(7));
    stack.demo.reset();
    const next = await page(5, second.cursors[2]);
    expect(next.ids).toEqual(original.slice(13, 18));
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("walk the whole listing once, in order, whatever the page sizes and arrivals", async () => {
    // A seeded PRNG: a failure reproduces. Up to 6 arrivals between pages (under the slack of 10).
    let state = 7;
    const random = (below: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % below;
    };
    for (let run = 0; run < 4; run++) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(400);
        const current = await page(1 + random(40), after);
        // Resume after a random edge, or after the last one (a boundary, often).
        const stop = random(2) === 0 ? current.ids.length : 1 + random(current.ids.length);
        seen.push(...current.ids.slice(0, stop));
        if (stop === current.ids.length && !current.pageInfo.hasNextPage) break;
        after = current.cursors[stop - 1] ?? null;
        stack.demo.addJobs(newJobs(random(7)));
      }
      expect(seen).toEqual(original);
      // The next run walks a listing that now starts with the jobs added during this one.
      original = (await restListing(stack.demo)).map((job) => String(job.id));
    }
  });
});

describe("cursors whose job is gone", () => {
  it("resume at the next job when the edge's own job was deleted (it could also leave the filter)", async () => {
    const first = await page(10);
    stack.demo.removeJobs([original[4] as string]);
    stack.demo.reset();
    const next = await page(10, first.cursors[4]);
    expect(next.ids).toEqual(original.slice(5, 15));
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("repeat jobs rather than skip any when, as well, new jobs arrived", async () => {
    const first = await page(10);
    stack.demo.removeJobs([original[4] as string]);
    stack.demo.addJobs(newJobs(3));
    const next = await page(6, first.cursors[4]);
    // The offset is all that is left: it now lands 3 jobs early, on original[1].
    expect(next.ids).toEqual([...original.slice(1, 4), ...original.slice(5, 8)]);
  });
});

describe("cursors deeper than any page", () => {
  it("are BAD_USER_INPUT before any upstream call", async () => {
    const answer = await stack.query(IdsQuery, {
      first: 5,
      after: encodeCursor({ token: null, skip: 101 }, ""),
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toContain("points 101 items into an upstream page");
    expect(stack.demo.listCalls()).toBe(0);
  });
});

describe("the demo upstream, like LlamaCloud", () => {
  it("sends no total_size unless configured to, and files added jobs in sorted place", async () => {
    const response = await fetch(`${stack.demo.url}/api/v2/parse?page_size=1`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    expect(await response.json()).not.toHaveProperty("total_size");
    const old: DemoJob = {
      json: {
        id: "pjb-old",
        project_id: "prj-old",
        status: "FAILED",
        created_at: "2001-01-01T00:00:00Z",
      },
      organizationId: "org-demo-alpha",
    };
    const dated = (await restListing(stack.demo)).filter(
      (job) => typeof job.created_at === "string",
    );
    stack.demo.addJobs([old, ...newJobs(1)]);
    const listing = (await restListing(stack.demo)).map((job) => String(job.id));
    expect(listing).toHaveLength(original.length + 2);
    expect(listing[0]).toBe(`pjb-new-${created}`);
    // After every dated job (all newer), before the ones without a creation time (which sort last).
    expect(listing.indexOf("pjb-old")).toBe(1 + dated.length);
  });
});
