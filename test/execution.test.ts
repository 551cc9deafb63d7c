import { execute, type GraphQLError, parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayContext } from "../src/context.js";
import { generateJobs } from "../src/demo-upstream/data.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { schema } from "../src/schema/index.js";
import { UpstreamClient } from "../src/upstream/client.js";
import { type Stack, startStack } from "./support/stack.js";

/**
 * The gateway executes with graphql-jit (src/execution.ts). Its answers must equal graphql-js's,
 * error for error: each operation below runs once through the gateway over HTTP and once through
 * graphql-js's own `execute` on the same schema and upstream, and the two answers are compared.
 * The upstream sends jobs the gateway cannot fully represent, so field errors, null propagation
 * onto nullable edges and errors from the upstream all take part.
 */

// One broken field per job: nullable fields (name, updatedAt), non-null fields
// (status, projectId: the edge goes null), an item without an id (unreadable).
const seeded = generateJobs(7, 12).map((job) => job.json);
const broken: Array<Record<string, unknown>> = [
  { ...seeded[0], name: 42 },
  { ...seeded[1], updated_at: "yesterday" },
  { ...seeded[2], status: "ARCHIVED" },
  { ...seeded[3], project_id: undefined },
  { project_id: "prj-x", status: "COMPLETED" },
  { ...seeded[4], status: "completed", updated_at: "2026-02-30T10:00:00Z" },
  ...seeded.slice(5),
];

const PAGE = `query Page($first: Int, $after: String) {
  parseJobs(first: $first, after: $after) {
    totalCount
    edges { cursor node { id projectId status createdAt updatedAt errorMessage name tier } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const cases: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: "a page with broken jobs", query: PAGE, variables: { first: 20 } },
  { name: "the next page", query: PAGE, variables: { first: 4, after: null } },
  { name: "a bad argument", query: PAGE, variables: { first: -1 } },
  { name: "a garbage cursor", query: PAGE, variables: { first: 2, after: "nope" } },
  {
    name: "lookups, present, missing and broken",
    query: `query Lookups($ids: [ID!]!) {
      a: parseJob(id: "${seeded[6]?.id}") { id status name }
      b: parseJob(id: "pjb-does-not-exist") { id }
      c: parseJob(id: "${seeded[2]?.id}") { id status }
      nodes(ids: $ids) { id ... on ParseJob { projectId createdAt } }
      node(id: "${seeded[3]?.id}") { id ... on ParseJob { projectId } }
    }`,
    variables: { ids: [seeded[7]?.id, "pjb-missing", seeded[1]?.id] },
  },
  {
    name: "a DateTime variable without an offset",
    query:
      "query At($t: DateTime) { parseJobs(filter: { createdAtOnOrAfter: $t }) { totalCount } }",
    variables: { t: "2026-01-01T00:00:00" },
  },
  {
    name: "a variable of the wrong type",
    query: "query First($n: Int) { parseJobs(first: $n) { totalCount } }",
    variables: { n: "ten" },
  },
  {
    name: "typename and aliases",
    query: `{ __typename x: parseJobs(first: 1) { __typename edges { node { __typename id } } } }`,
  },
];

interface Answer {
  data?: unknown;
  errors?: Array<{ message: string; path?: unknown; extensions?: unknown }>;
}

/** Errors in a stable order with what a client sees of them. */
function comparable(answer: Answer): Answer {
  const errors = answer.errors
    ?.map(({ message, path, extensions }) => ({ message, path, extensions }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { data: answer.data, ...(errors ? { errors } : {}) };
}

describe("compiled execution answers exactly as graphql-js does", () => {
  let stack: Stack;
  let upstream: UpstreamClient;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { [DEMO_KEY]: broken.map((json) => ({ json, organizationId: "org" })) } },
    });
    upstream = new UpstreamClient(stack.config);
  });
  afterAll(() => stack.close());

  const reference = async (query: string, variables?: Record<string, unknown>) => {
    const request = new Request("http://gateway/graphql", { method: "POST" });
    const result = await execute({
      schema,
      document: parse(query),
      variableValues: variables,
      contextValue: createGatewayContext(request, stack.config, upstream, "reference-request"),
    });
    return JSON.parse(
      JSON.stringify({
        data: result.data,
        // Bad variables stop graphql-js before it runs anything (no `data`); the gateway answers
        // those same errors with code BAD_USER_INPUT (src/execution.ts).
        errors: result.errors?.map((error: GraphQLError) => {
          const json = error.toJSON();
          if (result.data !== undefined) return json;
          return { ...json, extensions: { ...json.extensions, code: "BAD_USER_INPUT" } };
        }),
      }),
    ) as Answer;
  };

  for (const { name, query, variables } of cases) {
    it(name, async () => {
      const expected = comparable(await reference(query, variables));
      const actual = comparable(await stack.query(query, variables));
      expect(actual).toEqual(expected);
      // The case must exercise something: either data or errors came back.
      expect(expected.data ?? expected.errors).toBeTruthy();
    });
  }

  it("has field errors on this data, so the comparison covers them", async () => {
    const answer = await stack.query(PAGE, { first: 20 });
    const paths = (answer.errors ?? []).map((error) => error.path?.slice(-2).join("."));
    expect(paths).toEqual(
      expect.arrayContaining(["node.name", "node.status", "node.projectId", "node.updatedAt"]),
    );
    // Status, project id and the id-less item are non-null: their edges alone become null.
    const edges = (answer.data as { parseJobs: { edges: unknown[] } }).parseJobs.edges;
    expect(edges.filter((edge) => edge === null)).toHaveLength(3);
  });

  it("answers an upstream failure the same way", async () => {
    stack.demo.inject({ status: 403, body: JSON.stringify({ detail: "No access" }), times: 1 });
    const expected = comparable(await reference(PAGE, { first: 3 }));
    stack.demo.inject({ status: 403, body: JSON.stringify({ detail: "No access" }), times: 1 });
    const actual = comparable(await stack.query(PAGE, { first: 3 }));
    expect(actual).toEqual(expected);
    expect(actual.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN" });
  });
});
