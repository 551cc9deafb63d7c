import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  aliasedPages,
  CIRCULAR_INTROSPECTION,
  dashboard,
  directiveOverload,
  duplicatedFields,
  manyAliases,
} from "./support/abuse.js";
import { RelayPageQuery } from "./support/operations.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

/** The single error of a refused operation, and the proof that nothing reached the upstream. */
function refusal(
  stack: Stack,
  answer: { data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> },
) {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
  expect(stack.demo.listCalls()).toBe(0);
  return answer.errors?.[0]?.extensions?.code;
}

describe("abuse limits (default configuration)", () => {
  let stack: Stack;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack();
    ids = (await restListing(stack.demo)).map((job) => String(job.id));
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("refuses 101 aliases", async () => {
    expect(refusal(stack, await stack.query(manyAliases(101)))).toBe("TOO_MANY_ALIASES");
  });

  it("refuses 3,000 duplicated fields", async () => {
    expect(refusal(stack, await stack.query(duplicatedFields(3000)))).toBe("TOO_MANY_TOKENS");
  });

  it("refuses 60 directives on one field", async () => {
    expect(refusal(stack, await stack.query(directiveOverload(60)))).toBe("TOO_MANY_DIRECTIVES");
  });

  it("refuses circular introspection but answers the standard introspection query", async () => {
    const circular = await stack.query(CIRCULAR_INTROSPECTION);
    expect(refusal(stack, circular)).toBe("INTROSPECTION_TOO_DEEP");
    const standard = await stack.query<{ __schema: { types: unknown[] } }, undefined>(
      getIntrospectionQuery(),
    );
    expect(standard.errors).toBeUndefined();
    expect(standard.data?.__schema.types.length).toBeGreaterThan(10);
  });

  it("refuses a query nested deeper than the depth limit", async () => {
    const deep = `{ __type(name: "ParseJob") { ${"ofType { ".repeat(12)}name${" }".repeat(12)} } }`;
    expect(refusal(stack, await stack.query(deep))).toBe("QUERY_TOO_DEEP");
  });

  it("refuses a batch of 10 operations", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Array.from({ length: 10 }, () => ({ query: "{ __typename }" }))),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]?.message).toMatch(/array|batch/i);
  });

  it("refuses a body above MAX_BODY_BYTES before reading it", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ __typename }`, variables: { pad: "x".repeat(200_000) } }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe("REQUEST_TOO_LARGE");
  });

  it("refuses 14 aliased parseJobs(first: 100) on cost, with no upstream call", async () => {
    const answer = await stack.query(aliasedPages(14, 100));
    expect(refusal(stack, answer)).toBe("QUERY_TOO_COSTLY");
    expect(answer.errors?.[0]?.extensions?.cost).toBe(14 * (50 + 100));
  });

  it("counts `first` given in variables", async () => {
    const pages = Array.from(
      { length: 14 },
      (_, i) => `p${i}: parseJobs(first: $n) { edges { node { id } } }`,
    );
    const answer = await stack.query(`query ($n: Int) { ${pages.join(" ")} }`, { n: 100 });
    expect(refusal(stack, answer)).toBe("QUERY_TOO_COSTLY");
    const small = await stack.query(`query ($n: Int) { ${pages.join(" ")} }`, { n: 2 });
    expect(small.errors).toBeUndefined();
    // Costs are cached per document and priced variables: a new `first` is priced again...
    const again = await stack.query(`query ($n: Int) { ${pages.join(" ")} }`, { n: 100 });
    expect(again.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
    // ...while `after`, which costs nothing, does not change the price.
    const paged = `query ($n: Int, $after: String) { ${pages.join(" ").replaceAll("(first: $n)", "(first: $n, after: $after)")} }`;
    expect((await stack.query(paged, { n: 100, after: null })).errors?.[0]?.extensions?.code).toBe(
      "QUERY_TOO_COSTLY",
    );
    expect((await stack.query(paged, { n: 2, after: null })).errors).toBeUndefined();
  });

  it("passes a Relay page query with fragments, pageInfo and totalCount", async () => {
    const answer = await stack.query(RelayPageQuery, { first: 100 });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.parseJobs.edges).toHaveLength(100);
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("passes a dashboard of 40 aliased parseJob lookups plus nodes(ids:) of 250 ids", async () => {
    const answer = await stack.query<Record<string, unknown>, undefined>(
      dashboard(ids.slice(0, 40), ids.slice(40, 290)),
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.pinned).toHaveLength(250);
    expect(answer.data?.j39).toMatchObject({ id: ids[39] });
    // 290 distinct ids in batches of LOOKUP_BATCH_SIZE (100); priced 40 + 250 + 3 × 50 = 440.
    expect(stack.demo.listCalls()).toBe(3);
  });

  it("passes federation _entities with 500 representations, as a router sends them", async () => {
    const known = ids.slice(0, 300);
    const representations = [
      ...known,
      ...Array.from({ length: 200 }, (_, i) => `pjb-unknown-${i}`),
    ].map((id) => ({ __typename: "ParseJob", id }));
    const answer = await stack.query<
      { _entities: Array<{ id: string } | null> },
      { representations: Array<{ __typename: string; id: string }> }
    >(
      "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ParseJob { id status } } }",
      { representations },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities.map((entity) => entity?.id ?? null)).toEqual([
      ...known,
      ...Array<null>(200).fill(null),
    ]);
    // 500 distinct ids in batches of LOOKUP_BATCH_SIZE (100).
    expect(stack.demo.listCalls()).toBe(5);
  });
});
