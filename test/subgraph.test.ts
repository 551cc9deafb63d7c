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
import { documentsTypeDefs } from "../examples/federation/documents-subgraph.js";
import { asGraphQL, JOB_FIELDS, type RestJob } from "./support/expected-job.js";
import { restListing, type Stack, startStack } from "./support/stack.js";
import { committedSubgraphSdl, composeWithDocuments } from "./support/supergraph.js";

// Federation protocol documents are what a router sends, not client operations: they are typed by
// hand here because the client SDL (and so codegen) leaves `_entities` and `_service` out.
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on ParseJob { ${JOB_FIELDS} } }
}`;

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
    const result = await composeWithDocuments();
    expect(result.errors).toBeUndefined();
    const { publicSdl, supergraphSdl } = result;
    expect(publicSdl).toMatch(/parseJob: ParseJob/);
    expect(publicSdl).toMatch(/documents\(first: Int!, after: String\): DocumentConnection!/);
    expect(publicSdl).toMatch(/parseJobs\(/);
    expect(publicSdl).toMatch(/type Document implements Node/);
    // ParseJob is resolvable here and only referenced there; PageInfo is shared by both.
    expect(supergraphSdl).toMatch(
      /type ParseJob implements Node[^{]*@join__type\(graph: PARSE_JOBS, key: "id"\)/,
    );
    expect(supergraphSdl).toMatch(/@join__type\(graph: DOCUMENTS, key: "id", resolvable: false\)/);
  });

  it("composes its Subscription root type: parseJobUpdates, served by this subgraph", async () => {
    const result = await composeWithDocuments();
    expect(result.errors).toBeUndefined();
    expect(result.publicSdl).toMatch(/type Subscription \{[^}]*parseJobUpdates\(/);
    expect(result.publicSdl).toMatch(/\s+ids: \[ID!\]!\n\s+\): ParseJob!\n\}/);
    // The router sends subscriptions to this subgraph, the only one that defines the field.
    expect(result.supergraphSdl).toMatch(/type Subscription @join__type\(graph: PARSE_JOBS\) \{/);
    // Another subgraph may add subscription fields of its own: both compose into one type.
    const withOwn = `${documentsTypeDefs}\ntype Subscription { documentAdded: Document! }\n`;
    const both = await composeWithDocuments(withOwn);
    expect(both.errors).toBeUndefined();
    expect(both.publicSdl).toMatch(/type Subscription \{[^}]*documentAdded[^}]*parseJobUpdates/);
  });

  it("composes with another Relay-style subgraph that also serves a shareable `node`", async () => {
    const withNode = `${documentsTypeDefs}\nextend type Query { node(id: ID!): Node @shareable }\n`;
    const result = await composeWithDocuments(withNode);
    expect(result.errors).toBeUndefined();
    // One Query.node in the supergraph, with no @join__field: every subgraph may resolve it.
    expect(result.supergraphSdl?.match(/ {2}node\(id: ID!\): Node\n/g)).toHaveLength(1);
  });

  it("refuses to compose with a subgraph whose `node` is not shareable, naming it", async () => {
    const withNode = `${documentsTypeDefs}\nextend type Query { node(id: ID!): Node }\n`;
    const result = await composeWithDocuments(withNode);
    expect(result.errors?.map((error) => error.message).join("\n")).toMatch(
      /Non-shareable field "Query\.node"/,
    );
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
