import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type DocumentsSubgraph,
  startDocumentsSubgraph,
} from "../examples/federation/documents-subgraph.js";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { asGraphQL, JOB_FIELDS, type RestJob } from "./support/expected-job.js";
import { startRedis, type TestRedis } from "./support/redis.js";
import { type Cluster, startCluster } from "./support/replica-processes.js";
import { restListing, type Stack, startStack } from "./support/stack.js";
import {
  type DocumentsSupergraph,
  type FederationGateway,
  startDocumentsSupergraph,
  startFederationGateway,
} from "./support/supergraph.js";

describe("through Hive Gateway, composed with a documents subgraph", () => {
  let stack: Stack;
  let supergraph: DocumentsSupergraph;
  let documents: DocumentsSubgraph;
  let gateway: FederationGateway;
  let everything: RestJob[];
  let referenced: RestJob[];
  // The subgraph has no key of its own here: jobs are read with the caller's key, which the
  // gateway configuration forwards.
  const asCaller = { authorization: `Bearer ${DEMO_KEY}` };
  beforeAll(async () => {
    stack = await startStack({ config: { apiKey: undefined } });
    everything = await restListing(stack.demo);
    // 148 real jobs from across the listing, 2 unknown ids and 2 documents never parsed:
    // 150 job references in all.
    referenced = everything.filter((_job, index) => index % 2 === 0).slice(0, 148);
    const jobIds: Array<string | null> = referenced.map((job) => String(job.id));
    jobIds.splice(40, 0, "pjb-gone-1", null);
    jobIds.splice(120, 0, null, "pjb-gone-2");
    supergraph = await startDocumentsSupergraph(stack.gatewayUrl, jobIds);
    ({ documents, gateway } = supergraph);
  });
  afterAll(async () => {
    await supergraph?.close();
    await stack?.close();
  });
  beforeEach(() => stack.demo.reset());

  const DOCUMENTS = `{ documents(first: 200) { edges { node { id title parseJob { ${JOB_FIELDS} } } } } }`;
  type DocumentsAnswer = {
    documents: { edges: Array<{ node: { id: string; title: string; parseJob: unknown } }> };
  };

  it("resolves 150 job references from another subgraph with ⌈150 / batch⌉ upstream calls", async () => {
    const documentsRequests = documents.requests();
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS, asCaller);
    // A dangling reference (a job that does not exist) is null in `_entities`; the gateway then
    // nulls that document's parseJob and says why, on that path alone.
    expect(answer.errors?.map((error) => error.path?.slice(0, 5))).toEqual(
      [40, 121].map((index) => ["documents", "edges", index, "node", "parseJob"]),
    );
    const nodes = answer.data?.documents.edges.map((edge) => edge.node) ?? [];
    expect(nodes).toHaveLength(152);
    const expected: unknown[] = referenced.map(asGraphQL);
    expected.splice(40, 0, null, null);
    expected.splice(120, 0, null, null);
    expect(nodes.map((node) => node.parseJob)).toEqual(expected);
    expect(stack.demo.listCalls()).toBe(Math.ceil(150 / stack.config.lookupBatchSize));
    expect(stack.demo.listCalls()).toBe(2);
    expect(
      stack.demo.requests.every((request) => request.authorization === asCaller.authorization),
    );
    expect(documents.requests() - documentsRequests).toBe(1);
  });

  it("without the caller's key, fails the job fields as UNAUTHENTICATED and calls nothing", async () => {
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS);
    const nodes = answer.data?.documents.edges.map((edge) => edge.node) ?? [];
    expect(nodes).toHaveLength(152);
    expect(nodes.every((node) => node.parseJob === null)).toBe(true);
    expect(answer.errors?.some((error) => error.extensions?.code === "UNAUTHENTICATED")).toBe(true);
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("serves the subgraph's own root fields through the gateway too", async () => {
    const answer = await gateway.query<{
      parseJobs: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } };
    }>("{ parseJobs(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }", asCaller);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.parseJobs.edges.map((edge) => edge.node.id)).toEqual(
      everything.slice(0, 5).map((job) => job.id),
    );
    expect(answer.data?.parseJobs.pageInfo.hasNextPage).toBe(true);
    expect(stack.demo.listCalls()).toBe(1);
  });
});

describe("through Hive Gateway, with SUBGRAPH_TOKEN set on the subgraph", () => {
  const token = "supergraph-test-token-0123456789";
  let stack: Stack;
  let documents: DocumentsSubgraph;
  let jobs: RestJob[];
  beforeAll(async () => {
    stack = await startStack({ config: { subgraphToken: token } });
    jobs = (await restListing(stack.demo)).slice(0, 3);
    documents = await startDocumentsSubgraph(
      jobs.map((job, index) => ({
        id: `doc-${index}`,
        title: `Doc ${index}`,
        parseJobId: String(job.id),
      })),
    );
  });
  afterAll(async () => {
    await documents?.close();
    await stack?.close();
  });
  beforeEach(() => stack.demo.reset());

  const DOCUMENTS = "{ documents(first: 10) { edges { node { parseJob { id status } } } } }";

  it("composes and resolves references when the gateway sends the same token", async () => {
    const gateway = await startFederationGateway([
      { name: "parse-jobs", url: stack.gatewayUrl, token },
      { name: "documents", url: documents.url },
    ]);
    try {
      const answer = await gateway.query<{
        documents: { edges: Array<{ node: { parseJob: { id: string } | null } }> };
      }>(DOCUMENTS);
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.documents.edges.map((edge) => edge.node.parseJob?.id)).toEqual(
        jobs.map((job) => job.id),
      );
      expect(stack.demo.listCalls()).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  it.each([
    ["no token", undefined],
    ["another token", "some-other-token-0123456789"],
  ])("cannot even compose with %s: _service is refused", async (_name, wrong) => {
    await expect(
      startFederationGateway([
        { name: "parse-jobs", url: stack.gatewayUrl, token: wrong },
        { name: "documents", url: documents.url },
      ]),
    ).rejects.toThrow(
      `Subgraph parse-jobs at ${stack.gatewayUrl} did not answer _service { sdl } (403)`,
    );
    expect(stack.demo.listCalls()).toBe(0);
  });
});

describe("through Hive Gateway, with the parse-jobs subgraph scaled out to two replicas", () => {
  let redis: TestRedis;
  let demo: DemoUpstream;
  let cluster: Cluster;
  let supergraph: DocumentsSupergraph;
  let jobs: RestJob[];
  beforeAll(async () => {
    [redis, demo] = await Promise.all([startRedis(), startDemoUpstream()]);
    // Two `npm start` processes sharing one Redis, behind a round-robin balancer whose URL is
    // the subgraph's URL in the supergraph, as a router would see a scaled-out subgraph.
    cluster = await startCluster(demo, redis, {
      RESPONSE_CACHE_TTL_MS: "60000",
      RESPONSE_CACHE_ACTIVE_TTL_MS: "60000",
    });
    jobs = (await restListing(demo)).slice(0, 12);
    supergraph = await startDocumentsSupergraph(
      cluster.url,
      jobs.map((job) => String(job.id)),
    );
  }, 90_000);
  afterAll(async () => {
    await supergraph?.close();
    await Promise.allSettled([cluster?.close(), demo?.close(), redis?.close()]);
  });

  const DOCUMENTS = `{ documents(first: 20) { edges { node { id parseJob { ${JOB_FIELDS} } } } } }`;
  type DocumentsAnswer = {
    documents: { edges: Array<{ node: { id: string; parseJob: unknown } }> };
  };

  it("resolves references on either replica; the other answers the same query from the shared cache", async () => {
    demo.reset();
    const replicaOf = () => cluster.balancer.routed.at(-1)?.target;
    const first = await supergraph.gateway.query<DocumentsAnswer>(DOCUMENTS);
    expect(first.errors).toBeUndefined();
    expect(first.data?.documents.edges.map((edge) => edge.node.parseJob)).toEqual(
      jobs.map(asGraphQL),
    );
    const firstReplica = replicaOf();
    expect(demo.listCalls()).toBe(1);

    // The router's next `_entities` request goes to the other replica, which finds the answer
    // the first one cached in Redis: no upstream call.
    const again = await supergraph.gateway.query<DocumentsAnswer>(DOCUMENTS);
    expect(replicaOf()).not.toBe(firstReplica);
    expect(again.data).toEqual(first.data);
    expect(demo.listCalls()).toBe(1);

    const root = await supergraph.gateway.query<{
      parseJobs: { edges: Array<{ node: { id: string } }> };
    }>("{ parseJobs(first: 5) { edges { node { id } } } }");
    expect(root.errors).toBeUndefined();
    expect(root.data?.parseJobs.edges.map((edge) => edge.node.id)).toEqual(
      jobs.slice(0, 5).map((job) => job.id),
    );
  });
});
