import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseEncoding } from "../src/server/browser.js";
import { EXAMPLE_VARIABLES } from "../src/yoga.js";
import { type Stack, startStack } from "./support/stack.js";

/** A GET as it comes over the wire, body bytes undecoded (fetch would decompress them). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | undefined>; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on("end", () => {
        const seen: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) seen[name] = String(value);
        resolve({ status: res.statusCode ?? 0, headers: seen, bytes });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

describe("a browser at the gateway (GraphiQL on)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("is sent from / to /graphql", async () => {
    const root = new URL("/", stack.gatewayUrl);
    const response = await fetch(root, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/graphql");
    // Not a browser: / stays a 404.
    expect((await fetch(root, { headers: { accept: "application/json" } })).status).toBe(404);
  });

  it("opens GraphiQL with the Variables pane ready for the example's `after`", async () => {
    const html = await (await fetch(stack.gatewayUrl, { headers: BROWSER })).text();
    // The options are embedded as JSON: the variables string appears JSON-escaped.
    expect(html).toContain(`"variables":${JSON.stringify(EXAMPLE_VARIABLES)}`);
    expect(EXAMPLE_VARIABLES).toBe('{"after": null}');
  });

  it("serves GraphiQL compressed as the browser accepts, and cacheable", async () => {
    const plain = await rawGet(stack.gatewayUrl, BROWSER);
    const gzip = await rawGet(stack.gatewayUrl, { ...BROWSER, "accept-encoding": "gzip" });
    const br = await rawGet(stack.gatewayUrl, { ...BROWSER, "accept-encoding": "gzip, br" });
    expect(plain.bytes).toBeGreaterThan(8_000_000);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gzip.bytes).toBeLessThan(plain.bytes / 3);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.bytes).toBeLessThan(gzip.bytes);
    for (const answer of [plain, gzip, br]) {
      expect(answer.status).toBe(200);
      expect(answer.headers["cache-control"]).toBe("no-cache");
      expect(answer.headers.vary).toMatch(/Accept-Encoding/);
      expect(answer.headers.etag).toMatch(/^"[\w-]+"$/);
    }
    expect(new Set([plain, gzip, br].map((answer) => answer.headers.etag)).size).toBe(3);
  });

  it("answers a revalidation with 304 and no body", async () => {
    const first = await rawGet(stack.gatewayUrl, { ...BROWSER, "accept-encoding": "br" });
    const etag = first.headers.etag ?? "";
    const again = await rawGet(stack.gatewayUrl, {
      ...BROWSER,
      "accept-encoding": "br",
      "if-none-match": etag,
    });
    expect(again.status).toBe(304);
    expect(again.bytes).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const stale = await rawGet(stack.gatewayUrl, { ...BROWSER, "if-none-match": '"old"' });
    expect(stale.status).toBe(200);
  });

  it("picks the encoding by Accept-Encoding and its q-values", () => {
    expect(chooseEncoding(null)).toBe("identity");
    expect(chooseEncoding("gzip, deflate, br, zstd")).toBe("br");
    expect(chooseEncoding("br;q=0, gzip;q=0.5")).toBe("gzip");
    expect(chooseEncoding("*")).toBe("br");
    expect(chooseEncoding("identity")).toBe("identity");
  });
});

describe("a browser at the gateway with GraphiQL off", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { graphiql: false } });
  });
  afterAll(() => stack.close());

  it("gets a short page saying how to turn GraphiQL on, not a CSRF refusal", async () => {
    const response = await fetch(stack.gatewayUrl, { headers: BROWSER });
    const body = await response.text();
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(body).toContain("GRAPHIQL=true");
    expect(body).not.toMatch(/csrf/i);
    expect(body.length).toBeLessThan(2000);
  });

  it("still refuses a GET query without the CSRF header", async () => {
    const url = `${stack.gatewayUrl}?query=${encodeURIComponent("{ __typename }")}`;
    const response = await fetch(url, { headers: BROWSER });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("CSRF_HEADER_MISSING");
  });
});

describe.each([
  ["no CORS_ORIGINS", []],
  ["CORS_ORIGINS without the origin", ["https://app.example.com"]],
])("a CORS preflight refused with %s", (_name, corsOrigins) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { corsOrigins } });
  });
  afterAll(() => stack.close());

  it("is a 403 whose text names CORS_ORIGINS", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    const body = await response.text();
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(body).toContain("CORS_ORIGINS");
    expect(body).not.toMatch(/csrf/i);
  });
});
