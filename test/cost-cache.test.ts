import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { unknownIds, variablePages } from "./support/abuse.js";
import { type GraphQLAnswer, type Stack, startStack } from "./support/stack.js";

/**
 * The cost limit keeps the cost of a document per value of its priced variables. Each test uses
 * its own document (its own operation name), so no test sees another's cached costs.
 */

/** 21 pages cost 3,150 with `first: 100` (refused) and 1,470 with `first: null` (parseJobs' 20). */
const PAGES = 21;
const HUNDREDS = PAGES * (50 + 100);

describe("the cost limit's cache, attacked through variables", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  /** Asserts a refusal on cost, at `cost`, with no upstream call. */
  function expectRefused(answer: GraphQLAnswer<unknown>, cost: number): void {
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["QUERY_TOO_COSTLY"]);
    expect(answer.errors?.[0]?.extensions?.cost).toBe(cost);
    expect(stack.demo.listCalls()).toBe(0);
  }

  /** Asserts an answer without errors, then forgets its upstream calls. */
  function expectAnswered(answer: GraphQLAnswer<unknown>): void {
    expect(answer.errors).toBeUndefined();
    stack.demo.reset();
  }

  it("prices an omitted variable by its default after the same variable came as null", async () => {
    const query = variablePages("NullThenOmitted", "$f: Int = 100", PAGES);
    expectAnswered(await stack.query(query, { f: null }));
    expectRefused(await stack.query(query, {}), HUNDREDS);
    expectRefused(await stack.query(query), HUNDREDS);
  });

  it("prices an explicit null as null after the same variable was omitted", async () => {
    const query = variablePages("OmittedThenNull", "$f: Int = 100", PAGES);
    expectRefused(await stack.query(query, {}), HUNDREDS);
    expectAnswered(await stack.query(query, { f: null }));
    expectRefused(await stack.query(query, {}), HUNDREDS);
  });

  it("prices each value of `first: $f`, omitted, null or given, whatever came before", async () => {
    const query = variablePages("Literals", "$f: Int = 100", PAGES);
    expectRefused(await stack.query(query, { f: 100 }), HUNDREDS);
    expectAnswered(await stack.query(query, { f: 2 }));
    expectRefused(await stack.query(query, {}), HUNDREDS);
    expectAnswered(await stack.query(query, { f: null }));
    expectRefused(await stack.query(query, { f: 100 }), HUNDREDS);
    expectRefused(await stack.query(query, { f: 70 }), PAGES * (50 + 70));
  });

  it("prices a default reaching `first` through a fragment, in both orders", async () => {
    const pages = Array.from(
      { length: PAGES },
      (_, i) => `p${i}: parseJobs(first: $f) { totalCount }`,
    );
    const query = `query InFragment($f: Int = 100) { ...Pages } fragment Pages on Query { ${pages.join(" ")} }`;
    expectAnswered(await stack.query(query, { f: null }));
    expectRefused(await stack.query(query, {}), HUNDREDS);
    expectAnswered(await stack.query(query, { f: null }));
    expectRefused(await stack.query(query, {}), HUNDREDS);
  });

  // A non-null list variable with a default: null fails coercion, which the cost rule reports
  // without a cost. That answer must not be kept as the price of "no value".
  const ids = unknownIds(1600);
  const lookupCost = 1600 + 16 * 50;
  it("prices a defaulted list of ids after a null the variables refused", async () => {
    const query = `query NestedNullFirst($ids: [ID!]! = ${JSON.stringify(ids)}) { nodes(ids: $ids) { id } }`;
    const refusedNull = await stack.query(query, { ids: null });
    expect(refusedNull.errors?.[0]?.message).toContain('"$ids" of non-null type');
    expect(stack.demo.listCalls()).toBe(0);
    expectRefused(await stack.query(query, {}), lookupCost);
  });

  it("prices a defaulted list of ids given null after it was omitted", async () => {
    const query = `query NestedOmittedFirst($ids: [ID!]! = ${JSON.stringify(ids)}) { nodes(ids: $ids) { id } }`;
    expectRefused(await stack.query(query, {}), lookupCost);
    expect((await stack.query(query, { ids: null })).errors?.[0]?.message).toContain("$ids");
    expectRefused(await stack.query(query, {}), lookupCost);
  });

  it("refuses null for a nullable list variable whose default fills a non-null argument", async () => {
    const query = `query NullableList($ids: [ID!] = ${JSON.stringify(ids)}) { nodes(ids: $ids) { id } }`;
    const answer = await stack.query(query, { ids: null });
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(answer.errors?.[0]?.message).toMatch(/Argument "ids" .* must not be null\. .*omitted/);
    expect(stack.demo.listCalls()).toBe(0);
    expectRefused(await stack.query(query, {}), lookupCost);
  });

  it("does not take the price of a request whose other variables were invalid", async () => {
    const query = variablePages("Walk", "$f: Int, $after: String", 14).replaceAll(
      "(first: $f)",
      "(first: $f, after: $after)",
    );
    const invalid = await stack.query(query, { f: 100, after: 5 });
    expect(invalid.errors?.[0]?.message).toContain('"$after" got invalid value 5');
    expectRefused(await stack.query(query, { f: 100, after: null }), 14 * 150);
    expectRefused(await stack.query(query, { f: 100 }), 14 * 150);
  });
});
