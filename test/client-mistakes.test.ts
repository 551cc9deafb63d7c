import { Writable } from "node:stream";
import { execute, parse } from "graphql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subgraphSchema } from "../src/schema/index.js";
import { type MalformedRequest, malformedRequests } from "./support/malformed.js";
import { type Stack, startStack } from "./support/stack.js";
import { type Answer, sendOver, TRANSPORTS, type Transport } from "./support/transports.js";

/**
 * A client's mistake is answered as one: a status below 500, a code on every error, and nothing
 * above info in the log. Each request goes over every transport: the direct POST path, POST
 * through Yoga's adapter (`directPost: false`), and GET.
 */

const stacks = new Map<Transport, Stack>();
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const direct = await startStack({ logger });
  stacks.set("POST direct", direct);
  stacks.set("GET", direct);
  stacks.set("POST via Yoga", await startStack({ logger, config: { directPost: false } }));
});
afterAll(async () => {
  await stacks.get("POST direct")?.close();
  await stacks.get("POST via Yoga")?.close();
});

/** Log lines above info (pino levels: 40 warn, 50 error, 60 fatal), cut short to read. */
function loudLines(): string[] {
  return logLines
    .filter((line) => (JSON.parse(line) as { level: number }).level > 30)
    .map((line) => line.slice(0, 400));
}

/** Sends a request over a transport to the gateway that serves it. */
function send(transport: Transport, request: MalformedRequest, accept?: string): Promise<Answer> {
  const stack = stacks.get(transport);
  if (!stack) throw new Error(`no stack for ${transport}`);
  return sendOver(stack.gatewayUrl, transport, request, accept);
}

/** Fails with the request and the answer when the answer is a 5xx or has an error without code. */
function expectClientAnswer(answer: Answer, request: MalformedRequest, transport: Transport) {
  const what = `${transport} ${JSON.stringify(request).slice(0, 300)}\n→ ${answer.status} ${answer.text.slice(0, 500)}`;
  expect(answer.status, what).toBeLessThan(500);
  for (const error of answer.errors) {
    expect(typeof error.extensions?.code, what).toBe("string");
  }
}

describe("an operation type the schema lacks is a validation error", () => {
  // The schema has a subscription type (parseJobUpdates): a bad subscription is an ordinary
  // validation error (see "a table of malformed requests"), a mutation is one of this kind.
  const cases = ["mutation { x }", "mutation M { __typename }"];
  for (const transport of TRANSPORTS) {
    for (const accept of ["application/json", "application/graphql-response+json"]) {
      it(`${transport}, ${accept}`, async () => {
        const before = loudLines().length;
        // The status any other validation error gets with this Accept: 200 for JSON, 400 else.
        const reference = await send(transport, { kind: "params", query: "{ nope }" }, accept);
        expect(reference.errors[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
        for (const query of cases) {
          const answer = await send(transport, { kind: "params", query }, accept);
          // Yoga refuses a mutation over GET before validation: 405 (it can only be POSTed).
          if (transport === "GET" && query.startsWith("mutation")) {
            expect(answer.status).toBe(405);
            expect(answer.errors[0]?.extensions?.code).toBe("BAD_REQUEST");
            continue;
          }
          const operation = query.split(" ")[0];
          expect(answer.status, query).toBe(reference.status);
          expect(answer.errors, query).toMatchObject([
            {
              message: expect.stringContaining(`The schema has no ${operation} type`),
              extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
            },
          ]);
        }
        expect(loudLines().slice(before)).toEqual([]);
      });
    }
  }
});

describe("parameters that cannot be read are HTTP 400 with the offending value", () => {
  const cases: Array<[MalformedRequest, RegExp]> = [
    [
      { kind: "raw-get", search: "query={__typename}&variables=notjson" },
      /^The "variables" parameter is not valid JSON \(.*\): "notjson"$/,
    ],
    [
      { kind: "raw-get", search: "query={__typename}&extensions=%7Bbroken" },
      /^The "extensions" parameter is not valid JSON \(.*\): "\{broken"$/,
    ],
    [
      {
        kind: "raw-post",
        contentType: "application/x-www-form-urlencoded",
        body: "query={__typename}&variables=notjson",
      },
      /^The request's GraphQL parameters could not be read: .*notjson/,
    ],
    [
      {
        kind: "raw-post",
        contentType: "multipart/form-data; boundary=x",
        body: "--x\r\n\r\n--x--",
      },
      /^Missing multipart form field "operations"$/,
    ],
  ];
  for (const [request, message] of cases) {
    const shown = request.kind === "raw-get" ? request.search : JSON.stringify(request);
    it(`${request.kind} ${shown}`, async () => {
      const before = loudLines().length;
      const answer = await send("GET", request);
      expect(answer.status, answer.text).toBe(400);
      expect(answer.errors).toMatchObject([{ extensions: { code: "BAD_REQUEST" } }]);
      expect(answer.errors[0]?.message).toMatch(message);
      expect(loudLines().slice(before)).toEqual([]);
    });
  }

  it("quotes at most 200 characters of a long value", async () => {
    const search = `query={__typename}&variables=${"x".repeat(5000)}`;
    const answer = await send("GET", { kind: "raw-get", search });
    expect(answer.status).toBe(400);
    expect(answer.errors[0]?.message).toContain(`"${"x".repeat(200)}…"`);
    expect(answer.errors[0]?.message.length).toBeLessThan(400);
  });
});

describe("variables that do not coerce are BAD_USER_INPUT, in graphql-js's words", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["query Q($f: Int) { parseJobs(first: $f) { totalCount } }", { f: "x" }],
    ["query Q($id: ID!) { parseJob(id: $id) { id } }", {}],
    ["query Q($id: ID!) { parseJob(id: $id) { id } }", { id: null }],
    ["query Q($f: ParseJobFilter) { parseJobs(filter: $f) { totalCount } }", { f: { nope: 1 } }],
    [
      "query Q($t: DateTime) { parseJobs(filter: { createdAtOnOrAfter: $t }) { totalCount } }",
      { t: "yesterday" },
    ],
    ["query Q($s: ParseJobStatus) { parseJobs(filter: { status: $s }) { totalCount } }", { s: 1 }],
    ["query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: ["pjb-1", null] }],
    [
      "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }",
      { ids: Array.from({ length: 80 }, () => null) },
    ],
  ];
  for (const [query, variables] of cases) {
    for (const transport of TRANSPORTS) {
      it(`${transport}: ${JSON.stringify(variables).slice(0, 60)} for ${query}`, async () => {
        const reference = await execute({
          schema: subgraphSchema,
          document: parse(query),
          variableValues: variables,
        });
        const answer = await send(transport, { kind: "params", query, variables });
        expect(answer.status).toBe(400);
        expect(answer.data).toBeUndefined();
        expect(answer.errors.map((error) => error.message)).toEqual(
          reference.errors?.map((error) => error.message),
        );
        for (const error of answer.errors) {
          expect(error.extensions?.code, error.message).toBe("BAD_USER_INPUT");
        }
      });
    }
  }
});

describe("_entities refuses representations it cannot resolve", () => {
  const query = "query E($r: [_Any!]!) { _entities(representations: $r) { __typename } }";
  const cases = [{}, { id: "pjb-1" }, { __typename: "Nope" }, { __typename: "PageInfo" }, 1];
  for (const transport of TRANSPORTS) {
    it(transport, async () => {
      const before = loudLines().length;
      for (const representation of cases) {
        const variables = { r: [{ __typename: "ParseJob", id: "pjb-1" }, representation] };
        const answer = await send(transport, { kind: "params", query, variables });
        expect(answer.status).toBe(200);
        expect(answer.errors).toMatchObject([
          {
            message: `Representation 1 of _entities is ${JSON.stringify(representation)}: it must be an object whose "__typename" names an entity type (ParseJob)`,
            extensions: { code: "BAD_USER_INPUT" },
          },
        ]);
      }
      expect(loudLines().slice(before)).toEqual([]);
    });
  }
});

describe("a table of malformed requests", () => {
  const requests = malformedRequests();

  it("has cases of every kind, many of them", () => {
    expect(requests.length).toBeGreaterThan(600);
  });

  for (const transport of TRANSPORTS) {
    it(`${transport}: never 5xx, a code on every error, nothing logged above info`, async () => {
      const before = loudLines().length;
      let withErrors = 0;
      for (const request of requests) {
        const answer = await send(transport, request);
        expectClientAnswer(answer, request, transport);
        if (answer.errors.length > 0) withErrors++;
      }
      // Most of the table is wrong, so most answers carry errors the loop above checked.
      expect(withErrors).toBeGreaterThan(requests.length / 2);
      expect(loudLines().slice(before)).toEqual([]);
    }, 60_000);
  }
});
