import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { type Stack, startStack } from "./support/stack.js";

const EVIL = "https://evil.example";
const APP = "https://app.example.com";
const PAGE = `{ parseJobs(first: 1) { edges { node { id } } } }`;

/**
 * A gateway configured from this environment (plus the server key, NODE_ENV unset: the README's
 * "Against LlamaCloud" start), in front of the demo upstream.
 */
async function stackFrom(env: Record<string, string>): Promise<Stack> {
  const { baseUrl: _unused, ...config } = loadConfig({
    LLAMA_CLOUD_API_KEY: DEMO_KEY,
    LLAMA_CLOUD_BASE_URL: "http://127.0.0.1:9",
    ...env,
  });
  return startStack({ config: { ...config, logLevel: "silent", retryBaseDelayMs: 5 } });
}

/** What a browser on `origin` would see: the CORS headers of a preflight, a POST and a GET. */
async function crossOrigin(stack: Stack, origin: string) {
  const cors = (response: Response) => ({
    status: response.status,
    allowOrigin: response.headers.get("access-control-allow-origin"),
    credentials: response.headers.get("access-control-allow-credentials"),
  });
  const preflight = await fetch(stack.gatewayUrl, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  const post = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { origin, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: PAGE }),
  });
  const postBody = (await post.json()) as { data?: unknown };
  // A GET a page could make with the CSRF header (after a preflight it would need to pass).
  const get = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent(PAGE)}`, {
    headers: { origin, accept: "application/json", "x-graphql-yoga-csrf": "1" },
  });
  await get.arrayBuffer();
  return {
    preflight: {
      ...cors(preflight),
      methods: preflight.headers.get("access-control-allow-methods"),
    },
    post: { ...cors(post), answered: postBody.data !== undefined },
    get: cors(get),
  };
}

describe.each([
  ["direct path", "true"],
  ["Yoga's adapter", "false"],
])("CORS through the %s", (_path, directPost) => {
  describe("with a server key and no CORS_ORIGINS (NODE_ENV unset)", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await stackFrom({ DIRECT_POST: directPost });
    });
    afterAll(() => stack.close());

    it("gives a page on another site no CORS header at all, so its browser reads nothing", async () => {
      const seen = await crossOrigin(stack, EVIL);
      for (const response of [seen.preflight, seen.post, seen.get]) {
        expect(response.allowOrigin).toBeNull();
        expect(response.credentials).toBeNull();
      }
      expect(seen.preflight.methods).toBeNull();
      // The server still answers (same-origin pages and non-browser callers are unaffected).
      expect(seen.post.answered).toBe(true);
    });
  });

  describe("with CORS_ORIGINS=*", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await stackFrom({ DIRECT_POST: directPost, CORS_ORIGINS: "*" });
    });
    afterAll(() => stack.close());

    it("answers a literal * without credentials, never the caller's origin", async () => {
      const seen = await crossOrigin(stack, EVIL);
      expect(seen.preflight).toEqual({
        status: 204,
        allowOrigin: "*",
        credentials: null,
        methods: "GET, POST",
      });
      expect(seen.post).toEqual({
        status: 200,
        allowOrigin: "*",
        credentials: null,
        answered: true,
      });
      expect(seen.get).toEqual({ status: 200, allowOrigin: "*", credentials: null });
    });
  });

  describe("with configured origins", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await stackFrom({
        DIRECT_POST: directPost,
        CORS_ORIGINS: `${APP},https://admin.example.com`,
      });
    });
    afterAll(() => stack.close());

    it("allows exactly a listed origin, without credentials", async () => {
      const seen = await crossOrigin(stack, APP);
      expect(seen.preflight).toEqual({
        status: 204,
        allowOrigin: APP,
        credentials: null,
        methods: "GET, POST",
      });
      expect(seen.post).toEqual({
        status: 200,
        allowOrigin: APP,
        credentials: null,
        answered: true,
      });
      expect(seen.get).toEqual({ status: 200, allowOrigin: APP, credentials: null });
    });

    // `null` is the Origin of sandboxed iframes and file: pages: answering "null" would admit them.
    it.each([EVIL, "null", `${APP}.evil.example`, "http://app.example.com", APP.toUpperCase()])(
      "gives %s no Access-Control-Allow-Origin",
      async (origin) => {
        const seen = await crossOrigin(stack, origin);
        for (const response of [seen.preflight, seen.post, seen.get]) {
          expect(response.allowOrigin).toBeNull();
          expect(response.credentials).toBeNull();
        }
      },
    );
  });
});

describe("CORS_ORIGINS defaults", () => {
  it.each([
    [{}],
    [{ LLAMA_CLOUD_API_KEY: "llx-secret" }],
    [{ NODE_ENV: "production" }],
    [{ NODE_ENV: "development", LLAMA_CLOUD_BASE_URL: "https://api.cloud.llamaindex.ai" }],
  ])("allow no origin in %j", (env) => {
    expect(loadConfig(env).corsOrigins).toEqual([]);
  });
});
