import { readFile } from "node:fs/promises";
import {
  buildClientSchema,
  GraphQLObjectType,
  GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { type DocumentsSubgraph, startDocumentsSubgraph } from "./documents-subgraph/server.js";
import { restListing, type Stack, startStack } from "./support/stack.js";
import {
  committedSubgraphSdl,
  composeWithDocuments,
  type FederationGateway,
  startFederationGateway,
} from "./support/supergraph.js";

// Federation protocol documents are what a router sends, not client operations: they are typed by
// hand here because the client SDL (and so codegen) leaves `_entities` and `_service` out.
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on ParseJob { id projectId status createdAt updatedAt errorMessage name tier }
  }
}`;
const JOB_FIELDS = "id projectId status createdAt updatedAt errorMessage name tier";

type RestJob = Record<string, unknown>;

/** What GraphQL should show for a job the REST endpoint lists (timestamps in UTC with `Z`). */
function asGraphQL(job: RestJob) {
  const text = (value: unknown) => (value == null ? null : String(value));
  return {
    id: job.id,
    projectId: job.project_id,
    status: String(job.status).toUpperCase(),
    createdAt: text(job.created_at)?.replace("+00:00", "Z") ?? null,
    updatedAt: text(job.updated_at)?.replace("+00:00", "Z") ?? null,
    errorMessage: text(job.error_message),
    name: text(job.name),
    tier: text(job.tier),
  };
}

const reference = (id: unknown) => ({ __typename: "ParseJob", id });

describe("the parse-jobs subgraph", () => {
  let stack: Stack;
  let everything: RestJob[];
  beforeAll(async () => {
    stack = await startStack();
    everything = await restListing(stack.demo);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("serves `_service { sdl }` exactly as the committed schema/subgraph.graphql", async () => {
    const answer = await stack.query<{ _service: { sdl: string } }, never>("{ _service { sdl } }");
    expect(answer.errors).toBeUndefined();
    const sdl = answer.data?._service.sdl;
    expect(sdl).toBe(await committedSubgraphSdl());
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    expect(sdl).toMatch(/type ParseJob implements Node\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type PageInfo\s+@shareable/);
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("shows clients schema/schema.graphql plus only the federation plumbing", async () => {
    const answer = await stack.query<IntrospectionQuery, never>(getIntrospectionQuery());
    const served = buildClientSchema(answer.data as IntrospectionQuery);
    const query = served.getQueryType()?.toConfig();
    if (!query) throw new Error("no Query type served");
    expect(Object.keys(query.fields)).toEqual(expect.arrayContaining(["_entities", "_service"]));
    const { _entities, _service, ...clientFields } = query.fields;
    const plumbing = new Set(["Query", "_Any", "_Entity", "_Service"]);
    const config = served.toConfig();
    const client = new GraphQLSchema({
      ...config,
      query: new GraphQLObjectType({ ...query, fields: clientFields }),
      types: config.types.filter((type) => !plumbing.has(type.name)),
    });
    const committed = await readFile(new URL("../schema/schema.graphql", import.meta.url), "utf8");
    expect(`${printSchema(lexicographicSortSchema(client))}\n`).toBe(committed);
  });

  it("composes with a Relay-style subgraph that references ParseJob by id", async () => {
    const { publicSdl } = await composeWithDocuments(
      "http://127.0.0.1:1/a",
      "http://127.0.0.1:1/b",
    );
    expect(publicSdl).toMatch(/parseJob: ParseJob/);
    expect(publicSdl).toMatch(/documents\(first: Int!, after: String\): DocumentConnection!/);
    expect(publicSdl).toMatch(/parseJobs\(/);
    expect(publicSdl).toMatch(/type Document implements Node/);
  });

  it("resolves many `_entities`, unknown ids as null, in order, with one call per batch", async () => {
    // 200 real jobs in reverse upstream order, with an unknown (but plausible) id after every fifth.
    const known = everything.slice(0, 200).reverse();
    const ids: string[] = [];
    known.forEach((job, index) => {
      ids.push(String(job.id));
      if (index % 5 === 4) ids.push(`pjb-unknown-${index}`);
    });
    expect(ids).toHaveLength(240);
    const answer = await stack.query<{ _entities: unknown[] }, { representations: unknown[] }>(
      ENTITIES,
      { representations: ids.map(reference) },
    );
    expect(answer.errors).toBeUndefined();
    const byId = new Map(known.map((job) => [job.id, job]));
    expect(answer.data?._entities).toEqual(
      ids.map((id) => {
        const job = byId.get(id);
        return job ? { __typename: "ParseJob", ...asGraphQL(job) } : null;
      }),
    );
    expect(stack.demo.listCalls()).toBe(Math.ceil(240 / stack.config.lookupBatchSize));
    // Every id went upstream exactly once, as repeated `job_ids` keys.
    const asked = stack.demo.requests.flatMap((request) => request.query.getAll("job_ids"));
    expect(asked.sort()).toEqual([...ids].sort());
  });

  it("puts a failed batch's error on that batch's entries only", async () => {
    const ids = everything.slice(0, 150).map((job) => String(job.id));
    const firstBatch = new Set(ids.slice(0, 100));
    stack.demo.inject({
      status: 403,
      body: JSON.stringify({ detail: "Not allowed" }),
      when: (request) => request.query.getAll("job_ids").some((id) => firstBatch.has(id)),
    });
    const answer = await stack.query<{ _entities: unknown[] }, { representations: unknown[] }>(
      ENTITIES,
      { representations: ids.map(reference) },
    );
    const entities = answer.data?._entities ?? [];
    expect(entities.slice(0, 100)).toEqual(Array(100).fill(null));
    expect(entities.slice(100)).toEqual(
      everything.slice(100, 150).map((job) => ({ __typename: "ParseJob", ...asGraphQL(job) })),
    );
    expect(answer.errors).toHaveLength(100);
    expect(answer.errors?.map((error) => error.path)).toEqual(
      ids.slice(0, 100).map((_id, index) => ["_entities", index]),
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stack.demo.listCalls()).toBe(2);
  });

  it("refuses a representation without a string id, on that entry alone and with no call", async () => {
    const id = String(everything[0]?.id);
    const answer = await stack.query<{ _entities: unknown[] }, { representations: unknown[] }>(
      ENTITIES,
      { representations: [reference(42), reference(id), { __typename: "ParseJob" }] },
    );
    expect(answer.data?._entities).toEqual([
      null,
      { __typename: "ParseJob", ...asGraphQL(everything[0] as RestJob) },
      null,
    ]);
    expect(answer.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [["_entities", 0], "BAD_USER_INPUT"],
      [["_entities", 2], "BAD_USER_INPUT"],
    ]);
    expect(answer.errors?.[0]?.message).toMatch(/string "id".*got 42/);
    expect(stack.demo.listCalls()).toBe(1);
  });
});

describe("through Hive Gateway, composed with a documents subgraph", () => {
  let stack: Stack;
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
    documents = await startDocumentsSubgraph(
      jobIds.map((parseJobId, index) => ({
        id: `doc-${index}`,
        title: `Doc ${index}`,
        parseJobId,
      })),
    );
    gateway = await startFederationGateway([
      { name: "parse-jobs", url: stack.gatewayUrl },
      { name: "documents", url: documents.url },
    ]);
  });
  afterAll(async () => {
    await gateway?.close();
    await documents?.close();
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
