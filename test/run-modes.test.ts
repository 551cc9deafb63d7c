import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { type Stack, startStack } from "./support/stack.js";

const TYPO = `{ parseJobs(first: 1) { edges { node { stauts } } } }`;

/** What `NODE_ENV=production` (and nothing else) turns into. */
function productionMode() {
  const { production, graphiql, introspection, fieldSuggestions, corsOrigins } = loadConfig({
    NODE_ENV: "production",
  });
  return { production, graphiql, introspection, fieldSuggestions, corsOrigins };
}

async function openInBrowser(stack: Stack) {
  const response = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
  return { status: response.status, body: await response.text() };
}

describe("development mode (the default)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("serves GraphiQL, introspection and suggestions", async () => {
    const page = await openInBrowser(stack);
    expect(page.status).toBe(200);
    expect(page.body).toContain("parse-jobs-graphql");
    expect((await stack.query(getIntrospectionQuery())).errors).toBeUndefined();
    const typo = await stack.query(TYPO);
    expect(typo.errors?.[0]?.message).toMatch(/Did you mean "status"/);
    expect(typo.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("describes _entities and _service as fields for federation routers", async () => {
    const answer = await stack.query<
      { __type: { fields: Array<{ name: string; description: string | null }> } },
      never
    >(`{ __type(name: "Query") { fields { name description } } }`);
    const described = new Map(answer.data?.__type.fields.map((f) => [f.name, f.description]));
    expect(described.get("_entities")).toMatch(/^For federation routers/);
    expect(described.get("_service")).toMatch(/^For federation routers/);
  });
});

describe("production mode", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: productionMode() });
  });
  afterAll(() => stack.close());

  it("serves no GraphiQL, only a short page saying how to turn it on", async () => {
    const page = await openInBrowser(stack);
    expect(page.status).toBe(404);
    expect(page.body).not.toContain("YogaGraphiQL");
    expect(page.body).toContain("GRAPHIQL=true");
  });

  it("refuses introspection with a code", async () => {
    const answer = await stack.query(getIntrospectionQuery());
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions?.code).toBe("INTROSPECTION_DISABLED");
    const type = await stack.query(`{ __type(name: "ParseJob") { name } }`);
    expect(type.errors?.[0]?.extensions?.code).toBe("INTROSPECTION_DISABLED");
  });

  it("hides field suggestions", async () => {
    const typo = await stack.query(TYPO);
    expect(typo.errors?.[0]?.message).toContain("stauts");
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean|status"/);
  });

  it("still answers queries", async () => {
    const answer = await stack.query(`{ parseJobs(first: 2) { edges { node { id } } } }`);
    expect(answer.errors).toBeUndefined();
  });

  it("sends no CORS headers unless origins are configured", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS and CSRF", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { corsOrigins: ["https://app.example.com"] } });
  });
  afterAll(() => stack.close());

  it("allows exactly the configured origins", async () => {
    const preflight = (origin: string) =>
      fetch(stack.gatewayUrl, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
  });

  it("refuses a GET without the CSRF header, and answers one with it", async () => {
    const url = `${stack.gatewayUrl}?query=${encodeURIComponent("{ __typename }")}`;
    const bare = await fetch(url, { headers: { accept: "application/json" } });
    expect(bare.status).toBe(403);
    const body = (await bare.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe("CSRF_HEADER_MISSING");
    const withHeader = await fetch(url, {
      headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" },
    });
    expect(withHeader.status).toBe(200);
  });

  it("refuses a form-encoded POST (a cross-site form could send it without a preflight)", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `query=${encodeURIComponent("{ parseJobs(first: 1) { totalCount } }")}`,
    });
    expect(response.status).toBe(403);
    expect(stack.demo.listCalls()).toBe(0);
  });
});

describe("configuration of the hardening settings", () => {
  it.each([
    [{ NODE_ENV: "production", INTROSPECTION: "yes" }, /INTROSPECTION must be true, false/],
    [{ CORS_ORIGINS: "https://a.example/" }, /CORS_ORIGINS must be \*/],
    [{ MAX_QUERY_COST: "0" }, /MAX_QUERY_COST must be a whole number from 1/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of fatal/],
    [{ RESPONSE_CACHE_TTL_MS: "-1" }, /RESPONSE_CACHE_TTL_MS must be a whole number/],
  ])("stops on %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("turns production conveniences back on when asked", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      GRAPHIQL: "true",
      INTROSPECTION: "1",
      CORS_ORIGINS: "https://a.example, https://b.example",
    });
    expect(config).toMatchObject({
      graphiql: true,
      introspection: true,
      fieldSuggestions: false,
      corsOrigins: ["https://a.example", "https://b.example"],
    });
    expect(config.responseCacheActiveTtlMs).toBe(0);
  });
});
