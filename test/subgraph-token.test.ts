import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { type Stack, startStack } from "./support/stack.js";

const TOKEN = "router-token-0123456789abcdef";
const SERVICE = "{ _service { sdl } }";
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ParseJob { id status } }
}`;

/** Posts an operation, with headers, and returns the status and the parsed answer. */
async function post(
  stack: Stack,
  body: { query: string; variables?: unknown; operationName?: string },
  headers: Record<string, string> = {},
) {
  const response = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    answer: JSON.parse(text) as {
      data?: Record<string, unknown> | null;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    },
  };
}

describe.each([
  ["direct path", true],
  ["Yoga's adapter", false],
])("with SUBGRAPH_TOKEN set, through the %s", (_path, directPost) => {
  let stack: Stack;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack({
      config: {
        subgraphToken: loadConfig({ SUBGRAPH_TOKEN: TOKEN }).subgraphToken,
        directPost,
        responseCacheTtlMs: 60_000,
      },
    });
    const page = await stack.query<
      { parseJobs: { edges: Array<{ node: { id: string } }> } },
      never
    >("{ parseJobs(first: 3) { edges { node { id } } } }");
    ids = page.data?.parseJobs.edges.map((edge) => edge.node.id) ?? [];
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  const representations = () => ids.map((id) => ({ __typename: "ParseJob", id }));

  it("serves _service and _entities with the right x-subgraph-token", async () => {
    const sdl = await post(stack, { query: SERVICE }, { "x-subgraph-token": TOKEN });
    expect(sdl.status).toBe(200);
    expect(sdl.answer.data?._service).toMatchObject({ sdl: expect.stringContaining("@key") });
    const entities = await post(
      stack,
      { query: ENTITIES, variables: { representations: representations() } },
      { "x-subgraph-token": TOKEN },
    );
    expect(entities.answer.errors).toBeUndefined();
    expect(entities.answer.data?._entities).toHaveLength(3);
  });

  it.each([
    ["no header", {}],
    ["a wrong token", { "x-subgraph-token": `${TOKEN.slice(0, -1)}x` }],
    ["the token's prefix", { "x-subgraph-token": TOKEN.slice(0, 8) }],
    ["an empty header", { "x-subgraph-token": "" }],
    ["the token as a bearer", { authorization: `Bearer ${TOKEN}` }],
  ])("refuses both with %s: FORBIDDEN, 403, no upstream call", async (_name, headers) => {
    for (const body of [
      { query: SERVICE },
      { query: ENTITIES, variables: { representations: representations() } },
    ]) {
      const { status, text, answer } = await post(stack, body, headers);
      expect(status).toBe(403);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
      expect(answer.errors?.[0]?.message).toContain("x-subgraph-token");
      // The token never shows, nor any part of it long enough to help.
      expect(text).not.toContain(TOKEN.slice(0, 8));
    }
    expect(stack.demo.listCalls()).toBe(0);
  });

  it.each([
    ["an alias", "{ s: _service { sdl } }"],
    ["a fragment", "query { ...F } fragment F on Query { _service { sdl } }"],
    ["an inline fragment", "{ ... on Query { _service { sdl } } }"],
    ["beside a client field", "{ __typename parseJobs(first: 1) { totalCount } _service { sdl } }"],
    [
      "another operation of the document",
      "query A { __typename } query B { _service { sdl } }",
      "A",
    ],
  ])("refuses _service written through %s", async (_name, query, operationName?: string) => {
    const { status, answer } = await post(stack, { query, operationName });
    expect(status).toBe(403);
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("asks nothing of client operations", async () => {
    const answer = await stack.query("{ parseJobs(first: 1) { edges { node { id } } } }");
    expect(answer.errors).toBeUndefined();
    expect(answer.status).toBe(200);
  });

  it("refuses a caller without the token while a router's identical lookup runs", async () => {
    stack.demo.inject({ delayMs: 200, times: 1 });
    // The same operation, variables and credential: only the token differs. Sharing the
    // router's execution, or its cached answer, would hand the stranger the router's result.
    const body = {
      query: ENTITIES,
      variables: { representations: representations().reverse() },
    };
    const [router, stranger] = await Promise.all([
      post(stack, body, { "x-subgraph-token": TOKEN }),
      post(stack, body),
    ]);
    expect(router.answer.data?._entities).toHaveLength(3);
    expect(stranger.status).toBe(403);
    expect(stranger.answer.data ?? null).toBeNull();
    // Now the router's answer is cached (RESPONSE_CACHE_TTL_MS is on here): still refused.
    const later = await post(stack, body);
    expect(later.status).toBe(403);
    expect(later.answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("without SUBGRAPH_TOKEN", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("serves _service to anyone, ignoring any x-subgraph-token sent", async () => {
    const sent: Array<Record<string, string>> = [{}, { "x-subgraph-token": "whatever-it-is-123" }];
    for (const headers of sent) {
      const { status, answer } = await post(stack, { query: SERVICE }, headers);
      expect(status).toBe(200);
      expect(answer.errors).toBeUndefined();
    }
  });
});
