/**
 * A router's own requests under caller authentication and trusted documents: `_service { sdl }`
 * needs no caller's JWT and is in no manifest, and nothing else gets through that way.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asksOnlyForSdl } from "../src/callers/router-requests.js";
import { loadConfig } from "../src/config.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { type Stack, startStack } from "./support/stack.js";

describe("asksOnlyForSdl", () => {
  it.each([
    "{ _service { sdl } }",
    "query Compose { _service { sdl } }",
    "{ s: _service { sdl } __typename }",
    "query A { _service { sdl } } query B { __typename _service { sdl } }",
  ])("takes %s", (query) => {
    expect(asksOnlyForSdl(query)).toBe(true);
  });

  it.each([
    ["nothing", undefined],
    ["a non-string", 42],
    ["no _service", "{ __typename }"],
    ["_service beside data", "{ _service { sdl } parseJobs(first: 1) { totalCount } }"],
    ["_entities", "{ _service { sdl } _entities(representations: []) { __typename } }"],
    ["a fragment", "{ ...F } fragment F on Query { _service { sdl } }"],
    ["an inline fragment", "{ ... on Query { _service { sdl } } }"],
    ["a directive", "{ _service @include(if: true) { sdl } }"],
    ["a mutation", "mutation { _service { sdl } }"],
    ["a syntax error", "{ _service { sdl }"],
    ["a long text", `{ _service { sdl } ${"__typename ".repeat(300)} }`],
    [
      "data in a second operation",
      'query A { _service { sdl } } query B { parseJob(id: "x") { id } }',
    ],
  ])("refuses %s", (_name, query) => {
    expect(asksOnlyForSdl(query)).toBe(false);
  });
});

describe("a router composing a gateway with callers on", () => {
  let stack: Stack;
  const SUBGRAPH_TOKEN = "router-token-0123456789abcdef";

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "router-requests-"));
    const manifest = join(dir, "manifest.json");
    writeFileSync(manifest, JSON.stringify({ abc: "{ __typename }" }));
    stack = await startStack({
      config: {
        production: true,
        subgraphToken: SUBGRAPH_TOKEN,
        callers: loadConfig({
          NODE_ENV: "production",
          LLAMA_CLOUD_API_KEY: DEMO_KEY,
          AUTH_JWT_SECRET: "router-requests-test-secret-0123456789",
          AUTH_PROJECT_CLAIM: "projects",
          PERSISTED_DOCUMENTS: manifest,
        }).callers,
      },
    });
  });
  afterAll(() => stack.close());

  it("gets the SDL without a JWT and outside the manifest, with the subgraph token", async () => {
    const answer = await stack.query<{ _service: { sdl: string } }, never>(
      "{ _service { sdl } }",
      undefined,
      { "x-subgraph-token": SUBGRAPH_TOKEN },
    );
    expect(answer.status).toBe(200);
    expect(answer.data?._service.sdl).toContain("type ParseJob");
  });

  it("is still held to SUBGRAPH_TOKEN for the SDL", async () => {
    const answer = await stack.query("{ _service { sdl } }");
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("gets no job without a JWT, even with the subgraph token", async () => {
    stack.demo.reset();
    const answer = await stack.query(
      '{ _entities(representations: [{ __typename: "ParseJob", id: "pjb-1" }]) { __typename } }',
      undefined,
      { "x-subgraph-token": SUBGRAPH_TOKEN },
    );
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("refuses data asked beside the SDL without a JWT", async () => {
    stack.demo.reset();
    const answer = await stack.query(
      "{ _service { sdl } parseJobs(first: 1) { totalCount } }",
      undefined,
      { "x-subgraph-token": SUBGRAPH_TOKEN },
    );
    expect(answer.status).toBe(401);
    expect(stack.demo.listCalls()).toBe(0);
  });
});
