import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoJob } from "../src/demo-upstream/server.js";
import { PageQuery } from "./support/operations.js";
import { type Stack, startStack } from "./support/stack.js";

/** Jobs as a newer (or odd) upstream might send them, newest first. */
const jobs: DemoJob[] = [
  {
    id: "pjb-1",
    status: "COMPLETED",
    created_at: "2026-01-01T00:00:09Z",
    usage: { pages: 3 },
    brand_new: true,
  },
  { id: "pjb-2", status: "ARCHIVED", created_at: "2026-01-01T00:00:08Z" },
  { id: "pjb-3", status: "completed", created_at: "2026-01-01T02:00:07.123456+02:00" },
  {
    id: "pjb-4",
    status: "FAILED",
    created_at: "2026-01-01T00:00:06",
    name: 42,
    error_message: "boom",
  },
  { id: "pjb-5", status: "RUNNING", created_at: "last tuesday" },
  { id: 6, status: "RUNNING", created_at: "2026-01-01T00:00:04Z" },
  { id: "pjb-7", status: "PENDING", created_at: "2026-01-01T00:00:03Z" },
].map((json) => ({ json: { project_id: "prj-1", ...json }, organizationId: "org-1" }));

describe("upstream drift", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { "drift-key": jobs } },
      config: { apiKey: "drift-key" },
    });
  });
  afterAll(() => stack.close());

  it("keeps the page when one job cannot be represented, and says which and why", async () => {
    const answer = await stack.query(PageQuery, { first: 10 });
    const edges = answer.data?.parseJobs.edges ?? [];
    expect(edges).toHaveLength(7);
    expect(edges.map((edge) => edge?.node.id ?? null)).toEqual([
      "pjb-1",
      null, // unknown status: the edge is null, the error says why
      "pjb-3",
      "pjb-4",
      null, // no usable id
      "pjb-7",
      "pjb-5", // an unreadable creation time sorts last upstream
    ]);
    // Other casing reads as the enum value; an offset is folded into UTC, the fraction kept.
    expect(edges[2]?.node).toMatchObject({
      status: "COMPLETED",
      createdAt: "2026-01-01T00:00:07.123456Z",
    });
    // A timestamp without an offset is UTC; a field of the wrong type is null with its own error.
    expect(edges[3]?.node).toMatchObject({
      createdAt: "2026-01-01T00:00:06Z",
      name: null,
      errorMessage: "boom",
    });
    expect(edges[6]?.node.createdAt).toBeNull();
    expect(answer.data?.parseJobs.pageInfo.hasNextPage).toBe(false);

    const errors = (answer.errors ?? []).map((error) => ({
      path: error.path?.join("."),
      code: error.extensions?.code,
      message: error.message,
    }));
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          path: "parseJobs.edges.1.node.status",
          code: "UPSTREAM_BAD_RESPONSE",
          message:
            'LlamaCloud sent job "pjb-2" with status "ARCHIVED", which is none of PENDING, RUNNING, COMPLETED, FAILED, CANCELLED',
        },
        {
          path: "parseJobs.edges.3.node.name",
          code: "UPSTREAM_BAD_RESPONSE",
          message: 'LlamaCloud sent job "pjb-4" with name of type number, not a string',
        },
        expect.objectContaining({
          path: "parseJobs.edges.6.node.createdAt",
          code: "UPSTREAM_BAD_RESPONSE",
        }),
        {
          path: "parseJobs.edges.4.node",
          code: "UPSTREAM_BAD_RESPONSE",
          message:
            "LlamaCloud sent an unreadable job: item 4 of the upstream page has no usable id (got 6)",
        },
      ]),
    );
    expect(errors).toHaveLength(4);
  });

  it("gives a null edge a usable cursor position: paging past it loses nothing", async () => {
    const first = await stack.query(PageQuery, { first: 1 });
    const second = await stack.query(PageQuery, {
      first: 2,
      after: first.data?.parseJobs.pageInfo.endCursor,
    });
    expect(second.data?.parseJobs.edges[0]).toBeNull();
    const third = await stack.query(PageQuery, {
      first: 5,
      after: second.data?.parseJobs.pageInfo.endCursor,
    });
    expect(third.data?.parseJobs.edges.map((edge) => edge?.node.id ?? null)).toEqual([
      "pjb-4",
      null,
      "pjb-7",
      "pjb-5",
    ]);
  });
});
