import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allJobsWithApollo,
  createApolloClient,
  jobWithApollo,
} from "../../examples/clients/apollo.js";
import { allJobsWithUrql, createUrqlClient, jobWithUrql } from "../../examples/clients/urql.js";
import type { ParseJobFilter } from "../../examples/gql/graphql.js";
import { restListing, type Stack, startStack } from "../support/stack.js";

/** What a test needs from a client: the README's snippets for it, bound to a fresh client. */
interface ClientUnderTest {
  walk(filter?: ParseJobFilter): Promise<Array<{ id: string; status: string } | undefined>>;
  job(
    id: string,
  ): Promise<{ id: string; name?: string | null; status?: string } | null | undefined>;
}

const clients: Array<[string, (url: string) => ClientUnderTest]> = [
  [
    "Apollo Client (relayStylePagination)",
    (url) => {
      const client = createApolloClient(url);
      return {
        walk: (filter) => allJobsWithApollo(client, filter),
        job: (id) => jobWithApollo(client, id),
      };
    },
  ],
  [
    "urql (Graphcache relayPagination)",
    (url) => {
      const client = createUrqlClient(url);
      return {
        walk: (filter) => allJobsWithUrql(client, filter),
        job: (id) => jobWithUrql(client, id),
      };
    },
  ],
];

describe.each(clients)("%s against the running gateway", (_name, connect) => {
  let stack: Stack;
  let everything: Array<Record<string, unknown>>;
  beforeAll(async () => {
    stack = await startStack();
    everything = await restListing(stack.demo);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("walks every page and gets every job exactly once, in REST order", async () => {
    const client = connect(stack.gatewayUrl);
    const jobs = await client.walk();
    const ids = jobs.map((job) => job?.id);
    expect(everything.length).toBe(320);
    expect(ids).toEqual(everything.map((job) => job.id));
    // One upstream call per page of 50: the client fetched each page once and merged them itself.
    expect(stack.demo.listCalls()).toBe(Math.ceil(320 / 50));
  });

  it("walks a filtered listing as REST filters it, beside the unfiltered one", async () => {
    const client = connect(stack.gatewayUrl);
    const failed = await client.walk({ status: "FAILED" });
    const all = await client.walk();
    const restFailed = await restListing(stack.demo, [["status", "FAILED"]]);
    expect(restFailed.length).toBeGreaterThan(0);
    expect(failed.map((job) => job?.id)).toEqual(restFailed.map((job) => job.id));
    expect(failed.every((job) => job?.status === "FAILED")).toBe(true);
    expect(all.map((job) => job?.id)).toEqual(everything.map((job) => job.id));
  });

  it("refetches one job by node(id) with one upstream lookup", async () => {
    const client = connect(stack.gatewayUrl);
    const jobs = await client.walk({ status: "COMPLETED" });
    const picked = jobs[7];
    if (!picked) throw new Error("the walk returned fewer than 8 completed jobs");
    const reference = everything.find((job) => job.id === picked.id);
    stack.demo.reset();
    const job = await client.job(picked.id);
    expect(job).toMatchObject({
      id: picked.id,
      status: "COMPLETED",
      name: reference?.name ?? null,
    });
    expect(stack.demo.requests.map((request) => request.query.getAll("job_ids"))).toEqual([
      [picked.id],
    ]);
  });
});
