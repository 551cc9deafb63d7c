import { type FragmentDefinitionNode, type OperationDefinitionNode, parse } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countDirectives } from "../src/limits/directives.js";
import { type GraphQLAnswer, type Stack, startStack } from "./support/stack.js";

/** `count` copies of `text`, space-separated. */
const times = (count: number, text: string) => Array.from({ length: count }, () => text).join(" ");
const INCLUDE = "@include(if: true)";

/** Each shape over the default MAX_QUERY_DIRECTIVES (20), with the count it must report. */
const overLimit: Record<string, [query: string, count: number]> = {
  "spreads of one fragment": [
    `{ ${times(21, `...F ${INCLUDE}`)} } fragment F on Query { __typename }`,
    21,
  ],
  "inline fragments": [`{ ${times(21, `... ${INCLUDE} { __typename }`)} }`, 21],
  "a fragment definition": [
    `{ ...F } fragment F on Query ${times(21, "@unknown")} { __typename }`,
    21,
  ],
  "the operation": [`query Q ${times(21, "@unknown")} { __typename }`, 21],
  "variable definitions": [`query Q($v: Int ${times(21, "@unknown")}) { __typename }`, 21],
  // 7 spreads × 3 directives.
  "a fragment spread 7 times": [
    `{ ${times(7, "...F")} } fragment F on Query { a: __typename ${INCLUDE} ${INCLUDE} b: __typename ${INCLUDE} }`,
    21,
  ],
  // 4 spreads of F2 × 3 spreads of F1 × (1 inline fragment + 1 in F0).
  "fragments spreading fragments": [
    `{ ${times(4, "...F2")} } fragment F2 on Query { ${times(3, "...F1")} } fragment F1 on Query { ... ${INCLUDE} { __typename } ...F0 } fragment F0 on Query { __typename ${INCLUDE} }`,
    24,
  ],
};

describe("MAX_QUERY_DIRECTIVES counts every directive that applies to the operation", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  /** Asserts the one error of a directive refusal, with no upstream call. */
  function expectRefused(answer: GraphQLAnswer<unknown>, found: number): void {
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["TOO_MANY_DIRECTIVES"]);
    expect(answer.errors?.[0]?.message).toContain(
      `Directives limit of 20 exceeded, found ${found}`,
    );
    expect(stack.demo.listCalls()).toBe(0);
  }

  it.each(Object.entries(overLimit))("refuses directives on %s", async (_shape, [query, count]) => {
    expectRefused(await stack.query(query), count);
  });

  it("refuses 250 `@include` on spreads of one fragment, as graphql-cop's overloading", async () => {
    const query = `{ ${times(250, `...Job ${INCLUDE}`)} } fragment Job on Query { parseJobs(first: 1) { totalCount } }`;
    expectRefused(await stack.query(query), 250);
  });

  it("passes exactly 20, spread across shapes, and runs the operation", async () => {
    // 4 spreads × (1 + 3 in F), then an inline fragment (1), a field (1) and a field in it (2).
    const query = `query Twenty { ${times(4, `...F ${INCLUDE}`)} ... ${INCLUDE} { p: parseJobs(first: 1) ${INCLUDE} { totalCount ${INCLUDE} @skip(if: false) } } } fragment F on Query { __typename ${INCLUDE} @skip(if: false) t: __typename ${INCLUDE} }`;
    expect(countDirectives(operationOf(query), fragmentsOf(query))).toBe(20);
    const answer = await stack.query(query);
    expect(answer.errors).toBeUndefined();
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("leaves a fragment cycle to validation's own error", async () => {
    const answer = await stack.query(
      `{ ...A } fragment A on Query { ...B __typename ${INCLUDE} } fragment B on Query { ...A }`,
    );
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual([
      "GRAPHQL_VALIDATION_FAILED",
    ]);
    expect(stack.demo.listCalls()).toBe(0);
  });
});

describe("countDirectives", () => {
  it("counts fragments spread 2⁴⁰ times in a walk of 40 fragments", () => {
    const fragments = Array.from({ length: 40 }, (_, i) =>
      i === 0
        ? `fragment F0 on Query { __typename ${INCLUDE} }`
        : `fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`,
    );
    const query = `{ ...F39 } ${fragments.join(" ")}`;
    const started = performance.now();
    expect(countDirectives(operationOf(query), fragmentsOf(query))).toBe(2 ** 39);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("stops at a cycle, counting each directive of the cycle once", () => {
    const query = `{ ...A @skip(if: false) } fragment A on Query @x { ...B } fragment B on Query { ...A ${INCLUDE} __typename }`;
    // @skip, @x and @include: the cycle's second entry into A adds nothing.
    expect(countDirectives(operationOf(query), fragmentsOf(query))).toBe(3);
  });
});

/** The first operation of a document. */
function operationOf(query: string): OperationDefinitionNode {
  const operation = parse(query).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === "OperationDefinition",
  );
  if (operation === undefined) throw new Error(`No operation in ${query}`);
  return operation;
}

/** A lookup of a document's fragments by name. */
function fragmentsOf(query: string) {
  const definitions = parse(query).definitions;
  return (name: string) =>
    definitions.find(
      (d): d is FragmentDefinitionNode => d.kind === "FragmentDefinition" && d.name.value === name,
    );
}
