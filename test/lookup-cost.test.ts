import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { inlineRepresentations, representationsOf, unknownIds } from "./support/abuse.js";
import { type GraphQLAnswer, type Stack, startStack } from "./support/stack.js";

/**
 * `nodes(ids:)` and federation's `_entities(representations:)` cost their entries plus one
 * upstream call (50) per started batch of LOOKUP_BATCH_SIZE entries, however they are written.
 */

const ENTITIES = "_entities(representations: $r) { ... on ParseJob { id } }";

/** Asserts a refusal on cost, at `cost`, with no upstream call. */
function expectRefused(stack: Stack, answer: GraphQLAnswer<unknown>, cost: number): void {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["QUERY_TOO_COSTLY"]);
  expect(answer.errors?.[0]?.extensions?.cost).toBe(cost);
  expect(stack.demo.listCalls()).toBe(0);
}

describe("_entities at the default limit (1,500) and LOOKUP_BATCH_SIZE (100)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  const query = `query Entities($r: [_Any!]!) { ${ENTITIES} }`;

  it("passes 1,000 representations: 1,000 jobs + 10 calls × 50 is 1,500", async () => {
    const answer = await stack.query<{ _entities: unknown[] }, object>(query, {
      r: representationsOf(unknownIds(1000)),
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toHaveLength(1000);
    expect(stack.demo.listCalls()).toBe(10);
  });

  it("refuses 1,001 representations (an 11th call) and 2,200 (22 calls)", async () => {
    const over = await stack.query(query, { r: representationsOf(unknownIds(1001)) });
    expectRefused(stack, over, 1001 + 11 * 50);
    // Short ids, to stay under MAX_BODY_BYTES (100,000) as 2,200 representations can.
    const many = await stack.query(query, { r: representationsOf(unknownIds(2200, "p")) });
    expectRefused(stack, many, 2200 + 22 * 50);
  });
});

/** One way of writing a lookup of `ids`: the document and its variables. */
type Shape = (ids: readonly string[]) => { query: string; variables: Record<string, unknown> };

const lookups: Record<string, { variable: Shape; literal: Shape; declaration: string }> = {
  nodes: {
    variable: (ids) => ({ query: "nodes(ids: $r) { id }", variables: { r: ids } }),
    literal: (ids) => ({ query: `nodes(ids: ${JSON.stringify(ids)}) { id }`, variables: {} }),
    declaration: "$r: [ID!]!",
  },
  _entities: {
    variable: (ids) => ({ query: ENTITIES, variables: { r: representationsOf(ids) } }),
    literal: (ids) => ({
      query: ENTITIES.replace("$r", inlineRepresentations(ids)),
      variables: {},
    }),
    declaration: "$r: [_Any!]!",
  },
};

/** The field alone, in a named fragment, in an inline fragment, each as a variable or a literal. */
function operations(field: keyof typeof lookups, ids: readonly string[]) {
  const { variable, literal, declaration } = lookups[field] ?? {};
  if (variable === undefined || literal === undefined) throw new Error(`no lookup ${field}`);
  const wrap = (body: string, variables: Record<string, unknown>, fragment = "") => {
    const declared = Object.keys(variables).length > 0 ? `(${declaration})` : "";
    return { query: `query Lookup${declared} { ${body} } ${fragment}`, variables };
  };
  return [variable(ids), literal(ids)].flatMap(({ query, variables }) => [
    wrap(query, variables),
    wrap("...Lookup", variables, `fragment Lookup on Query { ${query} }`),
    wrap(`... on Query { ${query} }`, variables),
  ]);
}

describe.each(["nodes", "_entities"] as const)(
  "%s with MAX_QUERY_COST=300 and LOOKUP_BATCH_SIZE=50",
  (field) => {
    let stack: Stack;
    beforeAll(async () => {
      const limits = { ...loadConfig({}).limits, maxCost: 300 };
      stack = await startStack({ config: { lookupBatchSize: 50, limits } });
    });
    afterAll(() => stack.close());
    beforeEach(() => stack.demo.reset());

    it("passes 150 ids (150 + 3 calls × 50 = 300), written any way", async () => {
      for (const { query, variables } of operations(field, unknownIds(150))) {
        const answer = await stack.query(query, variables);
        expect(answer.errors, query.slice(0, 80)).toBeUndefined();
        expect(stack.demo.listCalls()).toBe(3);
        stack.demo.reset();
      }
    });

    it("refuses 151 ids (151 + 4 calls × 50 = 351), written any way", async () => {
      for (const { query, variables } of operations(field, unknownIds(151))) {
        expectRefused(stack, await stack.query(query, variables), 351);
      }
    });

    // Two lookups of 75 cost 2 × (75 + 2 × 50) = 350 even when their ids are the same, and so
    // share their calls: the price is an upper bound.
    it("prices each alias, and each spread of a fragment, on its own", async () => {
      const { variable, declaration } = lookups[field] ?? {};
      if (variable === undefined) throw new Error(`no lookup ${field}`);
      const { query, variables } = variable(unknownIds(75));
      const aliased = `query Aliased(${declaration}) { a: ${query} b: ${query} }`;
      expectRefused(stack, await stack.query(aliased, variables), 350);
      const spread = `query Spread(${declaration}) { ...A ...B } fragment A on Query { a: ${query} } fragment B on Query { ...A b: ${query} }`;
      // A twice (once through B) and B's own: 3 × 175.
      expectRefused(stack, await stack.query(spread, variables), 525);
    });
  },
);
