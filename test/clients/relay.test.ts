import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ParseJobList_query$data } from "../../examples/relay/src/__generated__/ParseJobList_query.graphql.js";
import ParseJobList from "../../examples/relay/src/__generated__/ParseJobList_query.graphql.js";
import ParseJobListPaginationQuery from "../../examples/relay/src/__generated__/ParseJobListPaginationQuery.graphql.js";
import type { ParseJobRow_job$data } from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRow from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRowRefetchQuery from "../../examples/relay/src/__generated__/ParseJobRowRefetchQuery.graphql.js";
import ParseJobsPageQuery from "../../examples/relay/src/__generated__/ParseJobsPageQuery.graphql.js";
import { createRelayEnvironment } from "../../examples/relay/src/environment.js";
import { loadConfig } from "../../src/config.js";
import { load, read } from "../support/relay-store.js";
import { restListing, type Stack, startStack } from "../support/stack.js";

// The artifacts relay-compiler wrote for examples/relay run here on relay-runtime without React:
// what usePaginationFragment and useRefetchableFragment do, step by step.

const RELAY_MANIFEST = fileURLToPath(
  new URL("../../examples/relay/persisted-documents.json", import.meta.url),
);

describe("the Relay example (examples/relay) against the running gateway", () => {
  let stack: Stack;
  beforeAll(async () => {
    // relay-compiler persists the example's operations: the artifacts carry ids, and the gateway
    // needs the manifest they name (development mode: text would still be served too).
    const { callers } = loadConfig({ PERSISTED_DOCUMENTS: RELAY_MANIFEST });
    stack = await startStack({ config: { callers } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("pages a filtered @connection to the end, each job once, then refetches a job by node(id)", async () => {
    const environment = createRelayEnvironment(stack.gatewayUrl);
    const filter = { status: "COMPLETED" } as const;
    const root = await load(environment, ParseJobsPageQuery, { filter });
    let list = read<ParseJobList_query$data>(environment, ParseJobList, root);
    let pages = 1;
    while (list.parseJobs.pageInfo.hasNextPage) {
      const cursor = list.parseJobs.pageInfo.endCursor;
      // The pagination query's answer is merged by Relay's ConnectionHandler into the same list.
      await load(environment, ParseJobListPaginationQuery, { count: 10, cursor, filter });
      list = read<ParseJobList_query$data>(environment, ParseJobList, root);
      pages++;
    }

    const rest = await restListing(stack.demo, [["status", "COMPLETED"]]);
    expect(rest.length).toBeGreaterThan(20);
    const ids = list.parseJobs.edges.map((edge) => edge?.node.id);
    expect(ids).toEqual(rest.map((job) => job.id));
    expect(pages).toBe(Math.ceil(rest.length / 10));

    const edge = list.parseJobs.edges[3];
    if (!edge) throw new Error("fewer than 4 edges");
    const reference = rest[3];
    stack.demo.reset();
    const refetched = await load(environment, ParseJobRowRefetchQuery, { id: edge.node.id });
    const job = read<ParseJobRow_job$data>(environment, ParseJobRow, refetched.node);
    expect(job).toMatchObject({
      id: reference?.id,
      name: reference?.name ?? null,
      status: "COMPLETED",
    });
    expect(stack.demo.requests.map((request) => request.query.getAll("job_ids"))).toEqual([
      [edge.node.id],
    ]);
  });
});
