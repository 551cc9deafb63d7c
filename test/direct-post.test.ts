import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { print } from "graphql";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import { generateJobs } from "../src/demo-upstream/data.js";
import { type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { directPostListener } from "../src/server/direct-post.js";
import { createGateway, createRuntime, type Gateway } from "../src/yoga.js";
import { PageQuery } from "./support/operations.js";
import { demoConfig } from "./support/stack.js";

/**
 * The direct path (src/server/direct-post.ts) must answer exactly as Yoga's adapter does. Every
 * request below goes once to a gateway with the direct path and once to one without it, both in
 * front of one demo upstream, and the two answers must be equal byte for byte: status, headers
 * (but the date) and body. Each case also says which path must serve it, so a direct path that
 * quietly handed everything to Yoga would fail here too.
 */

interface Sent {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Written with a Content-Length, or in chunks without one when `chunked`. */
  body?: string;
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(sent.path ?? "/graphql", url);
    const outgoing = request(target, { method: sent.method ?? "POST", headers: sent.headers });
    outgoing.on("error", reject);
    outgoing.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const { date: _date, ...headers } = response.headers;
        resolve({
          status: response.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    if (sent.chunked && sent.body !== undefined) {
      outgoing.write(sent.body.slice(0, 5));
      outgoing.end(sent.body.slice(5));
    } else {
      outgoing.end(sent.body);
    }
  });
}

const JSON_POST = { "content-type": "application/json", "x-request-id": "req-1" };
const PAGE = print(PageQuery);
const page = (variables: Record<string, unknown>) => JSON.stringify({ query: PAGE, variables });
const APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9";
const URQL_ACCEPT =
  "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed";

type Route = "direct" | "yoga";

const WATCH = "subscription W($ids: [ID!]!) { parseJobUpdates(ids: $ids) { id status } }";
/** A seeded job that is COMPLETED (every fifth seeded job, from the third, is). */
const FINISHED_JOB = String(generateJobs()[2]?.json.id);
const cases: Array<[name: string, route: Route, sent: Sent]> = [
  ["a page query", "direct", { headers: JSON_POST, body: page({ first: 20 }) }],
  ["the next page", "direct", { headers: JSON_POST, body: page({ first: 3, after: null }) }],
  ...(
    [
      ["no Accept", undefined, "direct"],
      ["Accept */*", "*/*", "direct"],
      ["Accept application/json", "application/json", "direct"],
      ["Accept graphql-response+json", "application/graphql-response+json", "direct"],
      ["Apollo Client's Accept", APOLLO_ACCEPT, "direct"],
      ["urql's Accept", URQL_ACCEPT, "direct"],
      ["Accept application/*", "application/*", "direct"],
      ["Accept text/event-stream first", "text/event-stream, application/json", "direct"],
      ["Accept text/event-stream only", "text/event-stream", "yoga"],
      ["Accept multipart/mixed only", "multipart/mixed", "yoga"],
      ["Accept text/html", "text/html", "yoga"],
      ["Accept JSON in latin1", "application/json; charset=latin1", "yoga"],
    ] as const
  ).flatMap(([name, accept, route]): Array<[string, Route, Sent]> => {
    const headers = accept === undefined ? JSON_POST : { ...JSON_POST, accept };
    return [
      [`${name}: data`, route, { headers, body: page({ first: 2 }) }],
      [`${name}: a validation error`, route, { headers, body: '{"query":"{ nope }"}' }],
    ];
  }),
  ["a syntax error", "direct", { headers: JSON_POST, body: '{"query":"{ parseJobs( }"}' }],
  ["a bad variable", "direct", { headers: JSON_POST, body: page({ first: "many" }) }],
  ["a bad argument", "direct", { headers: JSON_POST, body: page({ first: -1 }) }],
  ["a garbage cursor", "direct", { headers: JSON_POST, body: page({ first: 2, after: "x" }) }],
  [
    "operationName picks one of two",
    "direct",
    {
      headers: JSON_POST,
      body: JSON.stringify({
        query: "query A { __typename } query B { parseJobs(first: 1) { totalCount } }",
        operationName: "B",
      }),
    },
  ],
  [
    "two operations and no operationName",
    "direct",
    { headers: JSON_POST, body: '{"query":"query A { __typename } query B { __typename }"}' },
  ],
  [
    "too many aliases",
    "direct",
    {
      headers: JSON_POST,
      body: JSON.stringify({
        query: `{ ${Array.from({ length: 70 }, (_, i) => `a${i}: __typename`).join(" ")} }`,
      }),
    },
  ],
  [
    "too costly",
    "direct",
    {
      headers: JSON_POST,
      body: JSON.stringify({
        query: `{ ${Array.from({ length: 20 }, (_, i) => `p${i}: parseJobs(first: 100) { edges { node { id } } }`).join(" ")} }`,
      }),
    },
  ],
  [
    "introspection",
    "direct",
    { headers: JSON_POST, body: '{"query":"{ __schema { queryType { name } } }"}' },
  ],
  [
    "federation entities",
    "direct",
    {
      headers: JSON_POST,
      body: JSON.stringify({
        query:
          "query E($r: [_Any!]!) { _entities(representations: $r) { ... on ParseJob { id } } }",
        variables: { r: [{ __typename: "ParseJob", id: "pjb-missing" }] },
      }),
    },
  ],
  [
    "a non-bearer Authorization",
    "direct",
    { headers: { ...JSON_POST, authorization: "Basic abc" }, body: page({ first: 1 }) },
  ],
  [
    "no x-request-id",
    "direct",
    { headers: { "content-type": "application/json" }, body: '{"query":"{ nope }"}' },
  ],
  [
    "JSON with a charset",
    "direct",
    {
      headers: { ...JSON_POST, "content-type": "application/json; charset=utf-8" },
      body: page({ first: 1 }),
    },
  ],
  [
    "extensions",
    "direct",
    { headers: JSON_POST, body: '{"query":"{ __typename }","extensions":{}}' },
  ],
  [
    "null members",
    "direct",
    {
      headers: JSON_POST,
      body: '{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}',
    },
  ],
  ["invalid JSON", "yoga", { headers: JSON_POST, body: '{"query": ' }],
  ["a JSON string", "yoga", { headers: JSON_POST, body: '"{ __typename }"' }],
  ["JSON null", "yoga", { headers: JSON_POST, body: "null" }],
  ["a batch", "yoga", { headers: JSON_POST, body: '[{"query":"{ __typename }"}]' }],
  ["no query", "yoga", { headers: JSON_POST, body: '{"variables":{}}' }],
  ["a numeric query", "yoga", { headers: JSON_POST, body: '{"query":1}' }],
  ["an unknown member", "yoga", { headers: JSON_POST, body: '{"query":"{ __typename }","x":1}' }],
  [
    "variables as a list",
    "yoga",
    { headers: JSON_POST, body: '{"query":"{ __typename }","variables":[]}' },
  ],
  [
    "a numeric operationName",
    "yoga",
    { headers: JSON_POST, body: '{"query":"{ __typename }","operationName":1}' },
  ],
  ["a long malformed body", "yoga", { headers: JSON_POST, body: `{"query":"${"x".repeat(4000)}` }],
  ["a byte-order mark", "yoga", { headers: JSON_POST, body: '\uFEFF{"query":"{ __typename }"}' }],
  ["an empty body", "yoga", { headers: JSON_POST, body: "" }],
  [
    "a body over the limit",
    "yoga",
    { headers: JSON_POST, body: page({ first: 1, pad: "x".repeat(6000) }) },
  ],
  ["a chunked body", "yoga", { headers: JSON_POST, body: page({ first: 1 }), chunked: true }],
  [
    "an Origin (CORS)",
    "direct",
    { headers: { ...JSON_POST, origin: "https://app.example" }, body: page({ first: 1 }) },
  ],
  [
    "graphql+json",
    "yoga",
    {
      headers: { ...JSON_POST, "content-type": "application/graphql+json" },
      body: page({ first: 1 }),
    },
  ],
  [
    "text/plain (CSRF)",
    "yoga",
    { headers: { ...JSON_POST, "content-type": "text/plain" }, body: page({ first: 1 }) },
  ],
  [
    "a query string",
    "yoga",
    { path: "/graphql?x=1", headers: JSON_POST, body: page({ first: 1 }) },
  ],
  ["another path", "yoga", { path: "/graphq", headers: JSON_POST, body: page({ first: 1 }) }],
  [
    "a GET",
    "yoga",
    {
      method: "GET",
      path: "/graphql?query=%7B__typename%7D",
      headers: { "x-graphql-yoga-csrf": "1" },
    },
  ],
  ["/readiness", "yoga", { method: "GET", path: "/readiness" }],
  // Subscriptions (parseJobUpdates) whose every job is finished or missing: the stream completes
  // at once, so both answers can be read whole and compared.
  ...(
    [
      ["JSON only (406)", "application/json"],
      ["no Accept (an event stream)", undefined],
      ["urql's Accept (an event stream)", URQL_ACCEPT],
      ["event stream first", "text/event-stream, application/json"],
    ] as const
  ).map(([name, accept]): [string, Route, Sent] => [
    `a subscription, ${name}`,
    "direct",
    {
      headers: accept === undefined ? JSON_POST : { ...JSON_POST, accept },
      body: JSON.stringify({ query: WATCH, variables: { ids: [FINISHED_JOB, "pjb-nope"] } }),
    },
  ]),
  [
    "a subscription refused at subscribe",
    "direct",
    {
      headers: JSON_POST,
      body: JSON.stringify({
        query: WATCH,
        variables: { ids: Array.from({ length: 101 }, (_, i) => `pjb-${i}`) },
      }),
    },
  ],
];

let demo: DemoUpstream;
let config: Config;
const servers: Server[] = [];
let directUrl: string;
let yogaUrl: string;
/** Requests the direct path handed to Yoga. */
let handedOver = 0;

async function listen(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The same gateway, counting what it is handed. */
function counting(gateway: Gateway): Gateway {
  const handle = (...args: Parameters<Gateway>) => {
    handedOver += 1;
    return gateway(...args);
  };
  return Object.assign(handle, {
    fetchAPI: gateway.fetchAPI,
    getResultForParams: gateway.getResultForParams,
    // Read for streamed results (subscriptions), src/server/direct-stream.ts.
    onResultProcessHooks: (gateway as unknown as { onResultProcessHooks: unknown })
      .onResultProcessHooks,
  }) as unknown as Gateway;
}

/** A gateway with the direct path and one without, for one configuration. */
async function startPair(
  overrides: Partial<Config> = {},
): Promise<{ direct: string; yoga: string }> {
  const paired: Config = { ...config, ...overrides };
  const logger = pino({ level: "silent" });
  const runtime = createRuntime(paired, logger);
  const direct = directPostListener(counting(createGateway(paired, runtime)), {
    maxBodyBytes: paired.maxBodyBytes,
    cors: paired.corsOrigins,
    logger,
    metrics: runtime.metrics,
  });
  return {
    direct: await listen(direct),
    yoga: await listen(createGateway(paired, createRuntime(paired, logger))),
  };
}

beforeAll(async () => {
  demo = await startDemoUpstream();
  config = demoConfig(demo, { maxRetries: 0, maxBodyBytes: 5000 });
  ({ direct: directUrl, yoga: yogaUrl } = await startPair());
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await demo.close();
});

beforeEach(() => {
  handedOver = 0;
});

describe("the direct path answers as Yoga does", () => {
  it.each(cases)("%s (%s)", async (name, route, sent) => {
    const viaYoga = await send(yogaUrl, sent);
    const viaDirect = await send(directUrl, sent);
    if (sent.headers?.["x-request-id"] === undefined) {
      // A fresh id each time: both must have one, of the same form.
      expect(viaDirect.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      viaDirect.headers["x-request-id"] = viaYoga.headers["x-request-id"];
    }
    expect(viaDirect).toEqual(viaYoga);
    expect(handedOver).toBe(route === "yoga" ? 1 : 0);
    if (name.includes("event stream")) {
      // A whole stream: the finished job's state, then completion.
      expect(viaDirect.headers["content-type"]).toBe("text/event-stream");
      expect(viaDirect.body).toMatch(
        /^:\n\nevent: next\ndata: .*"COMPLETED".*\n\nevent: complete\n/,
      );
    }
  });

  it("answers an upstream failure as Yoga does", async () => {
    demo.inject({ status: 503, times: 2 });
    const sent = { headers: JSON_POST, body: page({ first: 5 }) };
    const viaYoga = await send(yogaUrl, sent);
    const viaDirect = await send(directUrl, sent);
    expect(viaDirect).toEqual(viaYoga);
    expect(JSON.parse(viaDirect.body).errors[0].extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(handedOver).toBe(0);
  });
});

describe("with each CORS setting, the direct path answers browsers as Yoga does", () => {
  const APP = "https://app.example";
  const ADMIN = "https://admin.example";
  // Per setting, the Access-Control-Allow-Origin each request below must get (none: undefined),
  // and the Vary: a list of origins makes the answer depend on the Origin.
  const settings: Array<
    [name: string, origins: string[], allowed: Array<string | undefined>, vary?: string]
  > = [
    ["any origin", ["*"], ["*", "*", "*", "*"]],
    ["two origins", [APP, ADMIN], [APP, undefined, ADMIN, APP], "Origin"],
    ["one origin", [APP], [APP, undefined, undefined, APP], "Origin"],
    ["no CORS", [], [undefined, undefined, undefined, undefined]],
  ];
  const requests: Array<[name: string, headers: Record<string, string>, body: string]> = [
    ["a listed origin", { ...JSON_POST, origin: APP }, page({ first: 2 })],
    ["another origin", { ...JSON_POST, origin: "https://evil.example" }, page({ first: 2 })],
    ["an error", { ...JSON_POST, origin: ADMIN }, '{"query":"{ nope }"}'],
    [
      "requested headers",
      { ...JSON_POST, origin: APP, "access-control-request-headers": "x-custom" },
      page({ first: 1 }),
    ],
  ];
  describe.each(settings)("%s", (_setting, corsOrigins, allowed, vary) => {
    let pair: { direct: string; yoga: string };
    beforeAll(async () => {
      pair = await startPair({ corsOrigins });
    });
    it.each(requests.map((request, index) => [...request, index] as const))(
      "%s",
      async (_name, headers, body, index) => {
        const viaYoga = await send(pair.yoga, { headers, body });
        const viaDirect = await send(pair.direct, { headers, body });
        expect(viaDirect).toEqual(viaYoga);
        expect(handedOver).toBe(0);
        expect(viaDirect.headers["access-control-allow-origin"]).toBe(allowed[index]);
        // Never credentials, and never an origin reflected that was not configured.
        expect(viaDirect.headers["access-control-allow-credentials"]).toBeUndefined();
        expect(viaDirect.headers.vary).toBe(vary);
        // Preflight headers belong to the preflight (OPTIONS), not to the POST's answer.
        expect(viaDirect.headers["access-control-allow-headers"]).toBeUndefined();
      },
    );
  });
});

describe("the direct path", () => {
  it("keeps serving after a client hangs up in the middle of its body", async () => {
    await new Promise<void>((resolve) => {
      const outgoing = request(`${directUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": "500" },
      });
      outgoing.on("error", () => resolve());
      outgoing.write('{"query":');
      setTimeout(() => {
        outgoing.destroy();
        resolve();
      }, 50);
    });
    const answer = await send(directUrl, { headers: JSON_POST, body: page({ first: 1 }) });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.parseJobs.edges).toHaveLength(1);
  });

  it("finishes an operation whose client hung up while it ran, and keeps serving", async () => {
    const calls = demo.listCalls();
    demo.inject({ delayMs: 300, times: 1 });
    await new Promise<void>((resolve) => {
      const outgoing = request(`${directUrl}/graphql`, { method: "POST", headers: JSON_POST });
      outgoing.on("error", () => resolve());
      outgoing.end(page({ first: 2 }));
      setTimeout(() => {
        outgoing.destroy();
        resolve();
      }, 100);
    });
    // The upstream answers 200 ms after the client left; the answer then goes nowhere.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(demo.listCalls()).toBe(calls + 1);
    const answer = await send(directUrl, { headers: JSON_POST, body: page({ first: 1 }) });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.parseJobs.edges).toHaveLength(1);
  });
});
