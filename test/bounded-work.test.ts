import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import type { DemoUpstreamOptions } from "../src/demo-upstream/server.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

/**
 * Upstream work is bounded: by a call budget per request (MAX_UPSTREAM_CALLS), by a deadline per
 * request (REQUEST_TIMEOUT_MS), by a size limit per answer (MAX_UPSTREAM_RESPONSE_BYTES), and by
 * the client itself, whose hang-up stops what only it was waiting for.
 */

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(config: Partial<Config>, demo: DemoUpstreamOptions = {}): Promise<Stack> {
  stack = await startStack({ config, demo });
  return stack;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Page = {
  edges: Array<{ node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

const PAGE = `edges { node { id } } pageInfo { hasNextPage endCursor }`;

describe("MAX_UPSTREAM_CALLS", () => {
  it("bounds five pages of 100 under an upstream that caps pages at one job, and each short page continues exactly", async () => {
    // Unshared, so that each field makes its own calls (shared, the five make the same 100).
    const s = await start({ deduplicateUpstream: false }, { maxPageSize: 1 });
    const all = (await restListing(s.demo)).map((job) => job.id);
    s.demo.reset();
    const fields = [0, 1, 2, 3, 4].map((n) => `p${n}: parseJobs(first: 100) { ${PAGE} }`);
    const answer = await s.query<Record<string, Page>, undefined>(`{ ${fields.join(" ")} }`);
    // Today's code made 5 × 100 calls; the budget (100 by default) holds it, retries included.
    expect(s.demo.listCalls()).toBe(100);
    expect(answer.errors).toBeUndefined();
    const pages = Object.values(answer.data ?? {});
    expect(pages.reduce((sum, page) => sum + page.edges.length, 0)).toBe(100);
    for (const page of pages) {
      // A short page is valid Relay: its edges are the head of the listing, and more exist.
      expect(page.edges.length).toBeGreaterThan(0);
      expect(page.edges.map((edge) => edge.node.id)).toEqual(all.slice(0, page.edges.length));
      expect(page.pageInfo.hasNextPage).toBe(true);
    }
    // Each short page continues exactly where it stopped: no job twice, none skipped.
    for (const page of pages) {
      s.demo.reset();
      const next = await s.query<{ parseJobs: Page }, { after: string | null }>(
        `query ($after: String) { parseJobs(first: 5, after: $after) { ${PAGE} } }`,
        { after: page.pageInfo.endCursor },
      );
      const from = page.edges.length;
      expect(next.data?.parseJobs.edges.map((edge) => edge.node.id)).toEqual(
        all.slice(from, from + 5),
      );
      expect(s.demo.listCalls()).toBe(5);
    }
  });

  it("lets fields that share their calls finish within the same budget", async () => {
    const s = await start({}, { maxPageSize: 1 });
    const fields = [0, 1, 2, 3, 4].map((n) => `p${n}: parseJobs(first: 100) { ${PAGE} }`);
    const answer = await s.query<Record<string, Page>, undefined>(`{ ${fields.join(" ")} }`);
    expect(s.demo.listCalls()).toBe(100);
    for (const page of Object.values(answer.data ?? {})) expect(page.edges).toHaveLength(100);
  });

  it("walks a whole listing in budget-sized short pages, every job once and in order", async () => {
    const s = await start({ maxUpstreamCalls: 7 }, { maxPageSize: 3 });
    const all = (await restListing(s.demo)).map((job) => job.id);
    s.demo.reset();
    const seen: string[] = [];
    let after: string | null = null;
    for (let round = 0; round < 40; round++) {
      const answer: Awaited<ReturnType<typeof s.query<{ parseJobs: Page }, unknown>>> =
        await s.query<{ parseJobs: Page }, { after: string | null }>(
          `query ($after: String) { parseJobs(first: 50, after: $after) { ${PAGE} } }`,
          { after },
        );
      expect(answer.errors).toBeUndefined();
      const page = answer.data?.parseJobs as Page;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    // Never more than 7 calls a request: 21 jobs a request, so ⌈320 / 21⌉ requests.
    expect(s.demo.listCalls()).toBeLessThanOrEqual(Math.ceil(all.length / 21) * 7);
  });

  it("counts retries: an upstream failing every time gets exactly the budget, not the retries", async () => {
    const s = await start({ maxUpstreamCalls: 2, maxRetries: 5 });
    s.demo.inject({ status: 503, times: 100 });
    const answer = await s.query(`{ parseJobs(first: 1) { ${PAGE} } }`);
    expect(s.demo.listCalls()).toBe(2);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("gives lookups it cannot make a clear error of their own, and keeps those it found", async () => {
    const s = await start({ maxUpstreamCalls: 2 }, { maxPageSize: 1 });
    const ids = (await restListing(s.demo)).slice(0, 5).map((job) => String(job.id));
    s.demo.reset();
    const answer = await s.query<{ nodes: Array<{ id: string } | null> }, { ids: string[] }>(
      "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
      { ids },
    );
    expect(s.demo.listCalls()).toBe(2);
    const found = answer.data?.nodes.filter((node) => node !== null) ?? [];
    expect(found).toHaveLength(2);
    expect(answer.errors).toHaveLength(3);
    for (const error of answer.errors ?? []) {
      expect(error.extensions?.code).toBe("UPSTREAM_BUDGET_EXHAUSTED");
      expect(error.message).toContain("MAX_UPSTREAM_CALLS");
    }
  });
});

/** Sends a request and hangs up after `ms`, before any answer. */
async function hangUpAfter(url: string, init: RequestInit, ms: number): Promise<void> {
  const controller = new AbortController();
  const sent = fetch(url, { ...init, signal: controller.signal }).catch(() => undefined);
  await wait(ms);
  controller.abort();
  await sent;
}

const PAGE_QUERY = `{ parseJobs(first: 2) { ${PAGE} } }`;
const json = (query: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query }),
});

describe("a client that hangs up", () => {
  for (const [path, directPost, init] of [
    ["the direct path", true, json(PAGE_QUERY)],
    ["Yoga's adapter", false, json(PAGE_QUERY)],
    ["a GET", true, { headers: { "x-graphql-yoga-csrf": "1" } }],
  ] as const) {
    it(`stops the retries only it waited for (${path})`, async () => {
      const s = await start({ directPost, maxRetries: 2 });
      s.demo.inject({ status: 503, delayMs: 400, times: 10 });
      const url =
        init.method === "POST"
          ? s.gatewayUrl
          : `${s.gatewayUrl}?query=${encodeURIComponent(PAGE_QUERY)}`;
      await hangUpAfter(url, init, 150);
      // Three attempts of 400 ms would be over by now; only the first was ever sent.
      await wait(1300);
      expect(s.demo.listCalls()).toBe(1);
      // The aborted attempt is counted as such, not as a timeout or a failure of the upstream.
      const metrics = await (await fetch(s.gatewayUrl.replace("/graphql", "/metrics"))).text();
      expect(metrics).toMatch(/upstream_requests_total\{status="cancelled"\} 1\n/);
    });
  }

  it("keeps a shared upstream call going for the request that still waits, then lets it go", async () => {
    const s = await start({});
    s.demo.inject({ delayMs: 400, times: 1 });
    // Different texts, so the executions are not shared, but both need the same upstream call.
    const leaving = hangUpAfter(s.gatewayUrl, json(PAGE_QUERY), 150);
    await wait(50);
    const staying = s.query<{ other: Page }, undefined>(
      `{ other: parseJobs(first: 2) { ${PAGE} } }`,
    );
    await leaving;
    const answer = await staying;
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.other.edges).toHaveLength(2);
    expect(s.demo.listCalls()).toBe(1);
  });

  it("keeps a shared execution going when its leader hangs up", async () => {
    const s = await start({});
    s.demo.inject({ delayMs: 400, times: 1 });
    const leaving = hangUpAfter(s.gatewayUrl, json(PAGE_QUERY), 150);
    await wait(50);
    const staying = s.query<{ parseJobs: Page }, undefined>(PAGE_QUERY);
    await leaving;
    const answer = await staying;
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.parseJobs.edges).toHaveLength(2);
    expect(s.demo.listCalls()).toBe(1);
  });

  it("aborts a shared call, retries and all, once every request sharing it has gone", async () => {
    const s = await start({ maxRetries: 2 });
    s.demo.inject({ status: 503, delayMs: 400, times: 10 });
    await Promise.all([
      hangUpAfter(s.gatewayUrl, json(PAGE_QUERY), 150),
      hangUpAfter(s.gatewayUrl, json(`{ other: parseJobs(first: 2) { ${PAGE} } }`), 200),
    ]);
    await wait(1300);
    expect(s.demo.listCalls()).toBe(1);
  });
  it("lets twenty calls of one request wait on its signal without a listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const s = await start({ deduplicateUpstream: false });
      const fields = Array.from(
        { length: 20 },
        (_, n) => `p${n}: parseJobs(first: 1, filter: { projectId: "prj-${n}" }) { ${PAGE} }`,
      );
      expect((await s.query(`{ ${fields.join(" ")} }`)).errors).toBeUndefined();
      expect(s.demo.listCalls()).toBe(20);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

describe("REQUEST_TIMEOUT_MS", () => {
  it("answers at the deadline when the upstream hangs, whatever the attempt timeout and retries", async () => {
    const s = await start({ requestTimeoutMs: 600, timeoutMs: 60_000, maxRetries: 2 });
    s.demo.inject({ delayMs: 30_000, times: 5 });
    const startedAt = Date.now();
    const answer = await s.query(PAGE_QUERY);
    const elapsed = Date.now() - startedAt;
    expect(answer.errors?.[0]?.extensions?.code).toBe("REQUEST_TIMEOUT");
    expect(answer.errors?.[0]?.message).toContain("600 ms");
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(3000);
    expect(s.demo.listCalls()).toBe(1);
  });

  it("ends 100 requests against a hung upstream at their deadline, then answers at once when it recovers", async () => {
    const s = await start({ requestTimeoutMs: 1000, timeoutMs: 60_000 });
    s.demo.inject({ delayMs: 60_000, times: 1000 });
    // Distinct filters: 100 different upstream calls, more than the 64 pooled connections.
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        s.query(`{ parseJobs(first: 1, filter: { projectId: "prj-${n}" }) { ${PAGE} } }`),
      ),
    );
    for (const answer of answers) {
      expect(answer.errors?.[0]?.extensions?.code).toBe("REQUEST_TIMEOUT");
    }
    s.demo.reset();
    const startedAt = Date.now();
    const recovered = await s.query<{ parseJobs: Page }, undefined>(PAGE_QUERY);
    // The hung calls were aborted, freeing their connections: nothing queues behind them.
    expect(recovered.errors).toBeUndefined();
    expect(recovered.data?.parseJobs.edges).toHaveLength(2);
    expect(Date.now() - startedAt).toBeLessThan(1000);
  }, 15_000);

  it("does not start a retry that cannot finish before the deadline, and says what failed", async () => {
    const s = await start({ requestTimeoutMs: 800, maxRetries: 5, retryBaseDelayMs: 2000 });
    s.demo.inject({ status: 503, times: 10 });
    const answer = await s.query(PAGE_QUERY);
    expect(s.demo.listCalls()).toBe(1);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
  });
});

describe("MAX_UPSTREAM_RESPONSE_BYTES", () => {
  const padded = (bytes: number) => JSON.stringify({ items: [], pad: "x".repeat(bytes) });

  it("refuses a 12 MB answer by default, without retrying it", async () => {
    const s = await start({});
    s.demo.inject({ status: 200, body: padded(12_000_000), times: 3 });
    const answer = await s.query(PAGE_QUERY);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_BAD_RESPONSE");
    expect(answer.errors?.[0]?.message).toContain("larger than 10000000 bytes");
    expect(s.demo.listCalls()).toBe(1);
  });

  for (const [how, headers] of [
    ["a declared length", {}],
    ["a chunked body", { "transfer-encoding": "chunked" }],
  ] as const) {
    it(`holds a configured limit against ${how}, and serves what fits`, async () => {
      const s = await start({ maxUpstreamResponseBytes: 100_000 });
      s.demo.inject({ status: 200, body: padded(150_000), headers, times: 1 });
      const refused = await s.query(PAGE_QUERY);
      expect(refused.errors?.[0]?.message).toContain("larger than 100000 bytes");
      s.demo.inject({ status: 200, body: padded(60_000), headers, times: 1 });
      const served = await s.query<{ parseJobs: Page }, undefined>(PAGE_QUERY);
      expect(served.errors).toBeUndefined();
      expect(served.data?.parseJobs.edges).toEqual([]);
    });
  }
});
