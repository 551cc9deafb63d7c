import { Writable } from "node:stream";
import type { Plugin } from "graphql-yoga";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import { type Stack, startStack } from "./support/stack.js";

/**
 * The direct path skips Yoga's HTTP-level hooks, so it must step aside by itself when a plugin it
 * does not reproduce has one: a plugin added later is never bypassed silently.
 */

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A gateway with `plugins` after its own, and the lines it logged at warn and above. */
async function start(plugins: Plugin[], config: Partial<Config> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  stack = await startStack({ plugins, config, logger: pino({ level: "warn" }, sink) });
  return { stack, lines };
}

/** A plain GraphQL POST, the kind the direct path takes. */
async function post(s: Stack): Promise<Response> {
  return fetch(s.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
}

/** Plugins a later change could add, each doing its work in one of the hooks the path skips. */
const LATER_PLUGINS: Array<[string, () => Plugin]> = [
  [
    "onRequest (a rate limiter refusing the request)",
    () => ({
      onRequest({ endResponse, fetchAPI }) {
        endResponse(new fetchAPI.Response("slow down", { status: 429 }));
      },
    }),
  ],
  [
    "onResponse (a header on every answer)",
    () => ({
      onResponse({ response }) {
        response.headers.set("x-later-plugin", "ran");
      },
    }),
  ],
  [
    "onRequestParse (an authentication check)",
    () => ({
      onRequestParse({ request }) {
        if (!request.headers.has("x-caller")) throw new Error("no caller");
      },
    }),
  ],
  [
    "instrumentation.request (a tracer)",
    () => ({
      instrumentation: {
        request: (_payload, wrapped) => {
          traced++;
          return wrapped();
        },
      },
    }),
  ],
];
let traced = 0;

describe("the direct path steps aside for HTTP-level hooks it does not reproduce", () => {
  it("runs with the gateway's own plugins, and says nothing", async () => {
    const { stack: s, lines } = await start([]);
    const answer = await post(s);
    expect(answer.status).toBe(200);
    expect(lines.filter((line) => line.includes("direct path off"))).toEqual([]);
  });

  for (const [hook, make] of LATER_PLUGINS) {
    it(`for a plugin with ${hook}`, async () => {
      traced = 0;
      const { stack: s, lines } = await start([make()]);
      const answer = await post(s);
      const body = await answer.text();
      // Whatever the plugin does, it did it: the request went through Yoga's adapter.
      if (hook.startsWith("onRequest (")) expect([answer.status, body]).toEqual([429, "slow down"]);
      if (hook.startsWith("onResponse")) expect(answer.headers.get("x-later-plugin")).toBe("ran");
      if (hook.startsWith("onRequestParse")) expect(answer.status).toBeGreaterThanOrEqual(400);
      if (hook.startsWith("instrumentation")) expect(traced).toBe(1);
      const warning = lines.map((line) => JSON.parse(line)).find((line) => line.hooks);
      expect(warning?.msg).toMatch(/^direct path off/);
      expect(warning?.hooks.length).toBeGreaterThan(0);
    });
  }

  it("does not mistake Yoga's own plugins for new ones under other options", async () => {
    // GraphiQL off and CORS origins set change which built-ins Yoga runs.
    const { stack: s, lines } = await start([], {
      graphiql: false,
      corsOrigins: ["https://app.example.com"],
    });
    expect((await post(s)).status).toBe(200);
    expect(lines.filter((line) => line.includes("direct path off"))).toEqual([]);
  });
});
