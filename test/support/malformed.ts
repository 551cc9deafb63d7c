/**
 * A deterministic table of malformed GraphQL requests, for tests that hold every answer to a
 * status below 500 and a code on every error. The cases are generated from the schema's input
 * positions crossed with values of every JSON shape, plus broken documents, operation names and
 * bodies, so a new argument or input type only needs a line in `VARIABLE_POSITIONS`.
 */

/** One request: a GraphQL parameter set, or a raw body / query string for what is not one. */
export type MalformedRequest =
  | {
      kind: "params";
      query: string;
      variables?: unknown;
      operationName?: string;
    }
  | { kind: "raw-post"; contentType: string; body: string }
  | { kind: "raw-get"; search: string };

/** Every variable type of the subgraph schema, each where the schema accepts it. */
export const VARIABLE_POSITIONS: ReadonlyArray<readonly [type: string, selection: string]> = [
  ["Int", "parseJobs(first: $v) { totalCount }"],
  ["Int!", "parseJobs(first: $v) { totalCount }"],
  ["String", "parseJobs(after: $v) { totalCount }"],
  ["ID!", "parseJob(id: $v) { id }"],
  ["ID!", "node(id: $v) { id }"],
  ["[ID!]!", "nodes(ids: $v) { id }"],
  ["ParseJobFilter", "parseJobs(filter: $v) { totalCount }"],
  ["ParseJobFilter!", "parseJobs(first: 1, filter: $v) { edges { node { id } } }"],
  ["DateTime", "parseJobs(filter: { createdAtOnOrAfter: $v }) { totalCount }"],
  ["DateTime!", "parseJobs(filter: { createdAtOnOrBefore: $v }) { totalCount }"],
  ["ParseJobStatus", "parseJobs(filter: { status: $v }) { totalCount }"],
  ["[ID!]", "parseJobs(filter: { jobIds: $v }) { totalCount }"],
  ["ID", "parseJobs(filter: { projectId: $v, organizationId: $v }) { totalCount }"],
  ["Boolean!", "__typename @include(if: $v)"],
  ["[_Any!]!", "_entities(representations: $v) { __typename ... on ParseJob { id } }"],
];

/** Values of every JSON shape, mostly wrong for any one type, some right for some. */
export const VALUES: readonly unknown[] = [
  undefined,
  null,
  "",
  "x",
  "pjb-does-not-exist",
  "2026-01-01",
  "2026-01-01T00:00:00",
  "2026-01-01T00:00:00Z",
  "2026-02-30T00:00:00Z",
  "COMPLETED",
  "completed",
  0,
  -1,
  1.5,
  2 ** 31,
  1e308,
  true,
  [],
  [null],
  ["a", null],
  [1, 2],
  [[1]],
  {},
  { status: "NOPE" },
  { createdAtOnOrAfter: "yesterday" },
  { jobIds: [null] },
  { jobIds: "pjb-x" },
  { unknown: 1 },
  [{ __typename: "ParseJob" }],
  [{ __typename: "ParseJob", id: 1 }],
  [{ __typename: "Nope", id: "x" }],
  [{ __typename: "PageInfo", id: "x" }],
  [{ __typename: "Node", id: "x" }],
  [1],
  ["ParseJob"],
  "x".repeat(3000),
];

/** Documents that are broken, ask for what the schema lacks, or break a gateway limit. */
export const DOCUMENTS: readonly string[] = [
  "",
  " ",
  "{",
  "}",
  "{ nope }",
  'query { parseJobs(first: "x") { totalCount } }',
  "subscription { x }",
  "subscription S { __typename }",
  "mutation { x }",
  "mutation M { __typename }",
  "query A { __typename } query A { __typename }",
  "query A { __typename } mutation B { x }",
  "query A { __typename } subscription B { __typename }",
  "query A { __typename } query B { nope }",
  "fragment F on Query { __typename }",
  "{ __typename ...F }",
  "query ($a: Nope) { __typename }",
  "query ($a: Int) { __typename }",
  'query Q($v: Int = "x") { parseJobs(first: $v) { totalCount } }',
  "{ parseJobs { edges { node { nope } } } }",
  "{ parseJob(id: 1) { id } }",
  "{ parseJobs(first: 1000) { totalCount } }",
  "{ parseJobs(first: -1) { totalCount } }",
  '{ parseJobs(after: "garbage") { totalCount } }',
  '{ parseJobs(filter: { createdAtOnOrAfter: "yesterday" }) { totalCount } }',
  "{ parseJobs(filter: { status: NOPE }) { totalCount } }",
  "{ nodes(ids: [null]) { id } }",
  "{ _entities(representations: [{}]) { __typename } }",
  "{ _service { sdl } }",
  "{ __schema { queryType { name } } }",
  "{ a: __typename a: parseJobs { totalCount } }",
  `{ ${"a: __typename ".repeat(2000)}}`,
  "{".repeat(300),
  // Over the cost limit: 40 pages of 100.
  `{ ${Array.from({ length: 40 }, (_, i) => `p${i}: parseJobs(first: 100) { totalCount }`).join(" ")} }`,
];

const OPERATION_NAMES: ReadonlyArray<string | undefined> = [undefined, "", "A", "Q", "Nope"];

/** JSON bodies and query strings that are not well-formed GraphQL parameters. */
const RAW: readonly MalformedRequest[] = [
  ...["null", "[]", "[{}]", '"x"', "1", "true", "{}", "{", "", "{}}", '{"query": 1}'].map(
    (body) => ({ kind: "raw-post" as const, contentType: "application/json", body }),
  ),
  ...[
    { query: null },
    { query: "{ __typename }", variables: "{}" },
    { query: "{ __typename }", variables: [1] },
    { query: "{ __typename }", variables: 1 },
    { query: "{ __typename }", operationName: 1 },
    { query: "{ __typename }", extensions: 1 },
    { query: "{ __typename }", extensions: [] },
    { query: "{ __typename }", unknownParameter: true },
  ].map((params) => ({
    kind: "raw-post" as const,
    contentType: "application/json",
    body: JSON.stringify(params),
  })),
  ...[
    "",
    "query=",
    "variables={}",
    "query={__typename}&variables=notjson",
    "query={__typename}&variables={",
    "query={__typename}&variables=[1]",
    "query={__typename}&variables=1",
    'query={__typename}&variables="x"',
    "query={__typename}&extensions=notjson",
    "query={__typename}&extensions=[1]",
    "query={__typename}&operationName=Nope",
    "query=mutation{x}",
    "query=subscription{x}",
  ].flatMap((search) => [
    { kind: "raw-get" as const, search },
    {
      kind: "raw-post" as const,
      contentType: "application/x-www-form-urlencoded",
      body: search,
    },
  ]),
  ...[
    "garbage",
    "--x\r\n\r\n--x--",
    multipart({ operations: "notjson" }),
    multipart({ operations: "{}" }),
    multipart({ operations: "null" }),
    multipart({ operations: '{"query":"{ __typename }"}', map: "notjson" }),
    multipart({ operations: '{"query":"{ __typename }"}', map: '{"0":["variables.f"]}' }),
    multipart({ operations: '[{"query":"{ __typename }"}]' }),
  ].map((body) => ({
    kind: "raw-post" as const,
    contentType: "multipart/form-data; boundary=x",
    body,
  })),
  { kind: "raw-post", contentType: "application/graphql", body: "{ nope }" },
];

/** A multipart body (boundary `x`) with these text fields. */
function multipart(fields: Record<string, string>): string {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--x\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return `${parts.join("")}--x--\r\n`;
}

/** The whole table: variables × positions, documents × operation names, then the raw cases. */
export function malformedRequests(): MalformedRequest[] {
  const requests: MalformedRequest[] = [];
  for (const [type, selection] of VARIABLE_POSITIONS) {
    for (const value of VALUES) {
      requests.push({
        kind: "params",
        query: `query Q($v: ${type}) { ${selection} }`,
        variables: value === undefined ? {} : { v: value },
      });
    }
  }
  for (const query of DOCUMENTS) {
    for (const operationName of OPERATION_NAMES) {
      requests.push({ kind: "params", query, operationName });
    }
  }
  requests.push(...RAW);
  return requests;
}
