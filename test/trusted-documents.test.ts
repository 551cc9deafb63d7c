import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrustedDocuments } from "../src/callers/trusted-documents.js";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/config-env.js";
import { directPostListener } from "../src/server/direct-post.js";
import { createGateway, createRuntime, type Gateway } from "../src/yoga.js";
import { type Stack, startStack } from "./support/stack.js";

/**
 * Trusted documents (src/callers/trusted-documents.ts) over real HTTP: a production gateway whose
 * manifests (one as GraphQL Code Generator writes it, one in Apollo's format) name the documents
 * it runs, on the direct path, through Yoga's adapter and by GET.
 */

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const PAGE = "query Page($first: Int) { parseJobs(first: $first) { edges { node { id } } } }";
const TWO = "query Ids { parseJobs(first: 2) { edges { node { id } } } } query Name { __typename }";
const APOLLO = "query Apollo { parseJobs(first: 1) { edges { node { status } } } }";
const UNTRUSTED = "{ parseJobs(first: 3) { edges { node { id } } } }";
const dir = mkdtempSync(join(tmpdir(), "trusted-documents-"));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const clientPreset = write("client-preset.json", { [sha256(PAGE)]: PAGE, [sha256(TWO)]: TWO });
const apollo = write("apollo.json", {
  format: "apollo-persisted-query-manifest",
  version: 1,
  operations: [{ id: sha256(APOLLO), name: "Apollo", type: "query", body: APOLLO }],
});

async function gatewayWith(only: boolean): Promise<Stack> {
  const callers = { ...loadConfig({}).callers, persistedDocumentsOnly: only };
  return startStack({
    config: {
      callers: { ...callers, persistedDocuments: [clientPreset, apollo] },
      production: true,
    },
  });
}

interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as object) } as Answer;
}

async function get(url: string, params: Record<string, unknown>) {
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) {
    target.searchParams.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  const response = await fetch(target, { headers: { "x-graphql-yoga-csrf": "1" } });
  return { status: response.status, ...((await response.json()) as object) } as Answer;
}

const apq = (hash: unknown, version: unknown = 1) => ({
  persistedQuery: { version, sha256Hash: hash },
});

/** The answer's first error code, after checking it is the only error and there is no data. */
function refusal(answer: Answer): string | undefined {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
  return answer.errors?.[0]?.extensions?.code;
}

const jobs = (answer: Answer) => {
  expect(answer.errors).toBeUndefined();
  const parseJobs = answer.data?.parseJobs as { edges: unknown[] } | undefined;
  return parseJobs?.edges.length;
};

describe("a production gateway with manifests serves only trusted documents", () => {
  let stack: Stack;
  let adapter: string;
  let calls = 0;
  beforeAll(async () => {
    stack = await gatewayWith(true);
    // A query string in the URL takes Yoga's adapter instead of the direct path.
    adapter = `${stack.gatewayUrl}?via=adapter`;
  });
  afterAll(() => stack.close());
  const noCall = () => {
    expect(stack.demo.listCalls()).toBe(calls);
  };
  const countCalls = () => {
    calls = stack.demo.listCalls();
  };

  it("runs a known documentId, by POST on either path and by GET", async () => {
    const body = { documentId: sha256(PAGE), variables: { first: 2 } };
    expect(jobs(await post(stack.gatewayUrl, body))).toBe(2);
    expect(jobs(await post(adapter, body))).toBe(2);
    const accept = "application/graphql-response+json";
    expect(jobs(await post(stack.gatewayUrl, body, { accept }))).toBe(2);
    expect(jobs(await get(stack.gatewayUrl, body))).toBe(2);
  });

  it("runs a document of the Apollo manifest, and by its APQ hash (POST and GET)", async () => {
    expect(jobs(await post(stack.gatewayUrl, { documentId: sha256(APOLLO) }))).toBe(1);
    expect(jobs(await post(stack.gatewayUrl, { extensions: apq(sha256(APOLLO)) }))).toBe(1);
    expect(jobs(await get(stack.gatewayUrl, { extensions: apq(sha256(PAGE)) }))).toBeGreaterThan(0);
  });

  it("runs each operation of one document by its operationName", async () => {
    const id = sha256(TWO);
    expect(jobs(await post(stack.gatewayUrl, { documentId: id, operationName: "Ids" }))).toBe(2);
    const name = await post(adapter, { documentId: id, operationName: "Name" });
    expect(name.data).toEqual({ __typename: "Query" });
    const unknown = await post(stack.gatewayUrl, { documentId: id, operationName: "Nope" });
    // The document runs as if sent as text: what Yoga answers an operationName it lacks.
    expect(unknown.data ?? null).toBeNull();
    expect(unknown.errors).toHaveLength(1);
  });

  it("accepts the manifest's own text beside its id, and refuses any other", async () => {
    const id = sha256(PAGE);
    expect(jobs(await post(stack.gatewayUrl, { documentId: id, query: PAGE }))).toBeGreaterThan(0);
    countCalls();
    const other = await post(stack.gatewayUrl, { documentId: id, query: UNTRUSTED });
    expect(other.status).toBe(400);
    expect(refusal(other)).toBe("BAD_REQUEST");
    expect(other.errors?.[0]?.message).toContain("differs from the trusted document");
    noCall();
  });

  it.each([
    ["documentId, direct", (s: Stack) => post(s.gatewayUrl, { documentId: "nope" })],
    ["documentId, adapter", (s: Stack) => post(`${s.gatewayUrl}?x`, { documentId: "nope" })],
    ["documentId, GET", (s: Stack) => get(s.gatewayUrl, { documentId: "nope" })],
    ["APQ hash", (s: Stack) => post(s.gatewayUrl, { extensions: apq("nope") })],
    ["APQ hash, GET", (s: Stack) => get(s.gatewayUrl, { extensions: apq("nope") })],
  ])(
    "answers an unknown id (%s) with 404 PERSISTED_QUERY_NOT_FOUND and no call",
    async (_, send) => {
      countCalls();
      const answer = await send(stack);
      expect(answer.status).toBe(404);
      expect(refusal(answer)).toBe("PERSISTED_QUERY_NOT_FOUND");
      expect(answer.errors?.[0]?.message).toContain('"nope"');
      noCall();
    },
  );

  it("shows at most 80 characters of an unknown id", async () => {
    const answer = await post(stack.gatewayUrl, { documentId: "x".repeat(5000) });
    expect(answer.errors?.[0]?.message).toContain(`"${"x".repeat(80)}…"`);
    expect(answer.errors?.[0]?.message.length).toBeLessThan(300);
  });

  it.each([
    ["POST, direct", (s: Stack) => post(s.gatewayUrl, { query: UNTRUSTED })],
    ["POST, adapter", (s: Stack) => post(`${s.gatewayUrl}?x`, { query: UNTRUSTED })],
    ["GET", (s: Stack) => get(s.gatewayUrl, { query: UNTRUSTED })],
    // Apollo's link sends the text with the hash after a PERSISTED_QUERY_NOT_FOUND.
    ["APQ retry", (s: Stack) => post(s.gatewayUrl, { query: UNTRUSTED, extensions: apq("h") })],
  ])("refuses free text (%s) with 400 PERSISTED_QUERY_ONLY and no call", async (_, send) => {
    countCalls();
    const answer = await send(stack);
    expect(answer.status).toBe(400);
    expect(refusal(answer)).toBe("PERSISTED_QUERY_ONLY");
    expect(answer.errors?.[0]?.message).toContain("PERSISTED_DOCUMENTS_ONLY=false");
    noCall();
  });

  it.each([
    ["a numeric documentId", { documentId: 5 }, '"documentId" must be a non-empty string'],
    ["an empty documentId", { documentId: "" }, '"documentId" must be a non-empty string'],
    ["APQ version 2", { extensions: apq(sha256(PAGE), 2) }, "version must be 1"],
    ["a numeric APQ hash", { extensions: apq(7) }, "sha256Hash must be a non-empty string"],
    ["a list for persistedQuery", { extensions: { persistedQuery: [] } }, "must be an object"],
    [
      "two different ids",
      { documentId: sha256(PAGE), extensions: apq(sha256(TWO)) },
      "name different documents",
    ],
  ])("refuses %s with a 400 saying what is wrong", async (_, body, message) => {
    countCalls();
    const answer = await post(stack.gatewayUrl, body);
    expect(answer.status).toBe(400);
    expect(refusal(answer)).toBe("BAD_REQUEST");
    expect(answer.errors?.[0]?.message).toContain(message);
    noCall();
  });

  it("leaves a request with neither id nor text to Yoga, which says what is missing", async () => {
    const accept = "application/graphql-response+json";
    const answer = await post(stack.gatewayUrl, { variables: {} }, { accept });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.message).toBe("Must provide query string.");
  });
});

describe("with PERSISTED_DOCUMENTS_ONLY=false", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await gatewayWith(false);
  });
  afterAll(() => stack.close());

  it("runs free text, ids, and the text Apollo's link sends after an unknown hash", async () => {
    expect(jobs(await post(stack.gatewayUrl, { query: UNTRUSTED }))).toBe(3);
    expect(jobs(await get(stack.gatewayUrl, { query: UNTRUSTED }))).toBe(3);
    expect(jobs(await post(stack.gatewayUrl, { documentId: sha256(PAGE) }))).toBeGreaterThan(0);
    const retry = { query: UNTRUSTED, extensions: apq(sha256(UNTRUSTED)) };
    expect(jobs(await post(stack.gatewayUrl, retry))).toBe(3);
  });

  it("still answers an unknown id alone with PERSISTED_QUERY_NOT_FOUND", async () => {
    const answer = await post(stack.gatewayUrl, { extensions: apq(sha256(UNTRUSTED)) });
    expect(answer.status).toBe(404);
    expect(refusal(answer)).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});

describe("the direct path", () => {
  let stack: Stack;
  let server: Server;
  let url: string;
  let handedOver = 0;
  beforeAll(async () => {
    stack = await gatewayWith(true);
    const logger = pino({ level: "silent" });
    const runtime = createRuntime(stack.config, logger);
    const gateway = createGateway(stack.config, runtime);
    // The gateway, counting the requests the direct path hands over to Yoga's adapter.
    const counted = Object.assign(
      (...args: Parameters<Gateway>) => {
        handedOver += 1;
        return gateway(...args);
      },
      { fetchAPI: gateway.fetchAPI, getResultForParams: gateway.getResultForParams },
    ) as unknown as Gateway;
    const { maxBodyBytes, corsOrigins: cors } = stack.config;
    const options = { maxBodyBytes, cors, logger, metrics: runtime.metrics };
    server = createServer(directPostListener(counted, options));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
  });

  it("serves a body with a documentId and no query itself", async () => {
    expect(jobs(await post(url, { documentId: sha256(PAGE), variables: { first: 1 } }))).toBe(1);
    expect(handedOver).toBe(0);
  });

  it("hands a non-string documentId to Yoga, which refuses it as the plugin says", async () => {
    const answer = await post(url, { documentId: ["a"] });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.message).toContain('"documentId" must be a non-empty string');
    expect(handedOver).toBe(1);
  });
});

describe("loadTrustedDocuments", () => {
  const request = new Request("http://localhost/graphql", { method: "POST" });

  it("merges manifests, and reads the same document twice as one", () => {
    const again = write("again.json", { [sha256(PAGE)]: PAGE });
    const trusted = loadTrustedDocuments([clientPreset, apollo, again], true);
    expect(trusted.size).toBe(3);
    const params = { documentId: sha256(APOLLO), operationName: "Apollo", variables: { a: 1 } };
    expect(trusted.resolve(params, request)).toEqual({
      query: APOLLO,
      operationName: "Apollo",
      variables: { a: 1 },
      extensions: undefined,
    });
  });

  it("passes params through unchanged when nothing names a document and text is allowed", () => {
    const params = { query: UNTRUSTED };
    expect(loadTrustedDocuments([clientPreset], false).resolve(params, request)).toBe(params);
    const empty = {};
    expect(loadTrustedDocuments([clientPreset], true).resolve(empty, request)).toBe(empty);
  });

  it("refuses an id two manifests give different texts, naming both files", () => {
    const other = write("conflict.json", { [sha256(PAGE)]: UNTRUSTED });
    const load = () => loadTrustedDocuments([clientPreset, other], true);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`${other} and ${clientPreset} give the id "${sha256(PAGE)}"`);
  });

  const big = "x".repeat(100_000);
  it.each([
    ["a missing file", join(dir, "missing.json"), "cannot be read (ENOENT"],
    ["bad JSON", write("bad.json", `{"a": "${big}`), "is not valid JSON"],
    ["an array", write("array.json", [PAGE]), "must be a JSON object of document id → text"],
    ["a non-string text", write("number.json", { abc: 1 }), 'the entry "abc" must be the document'],
    ["an empty text", write("empty-text.json", { abc: " \n" }), 'the document "abc" is empty'],
    ["an empty id", write("empty-id.json", { "": PAGE }), "a document has an empty id"],
    ["no documents", write("none.json", {}), "holds no documents"],
    [
      "Apollo's format, version 2",
      write("apollo-2.json", {
        format: "apollo-persisted-query-manifest",
        version: 2,
        operations: [],
      }),
      'only "apollo-persisted-query-manifest" version 1 is read',
    ],
    [
      "an Apollo operation without a body",
      write("apollo-nobody.json", {
        format: "apollo-persisted-query-manifest",
        version: 1,
        operations: [{ id: "a", name: "A", type: "query", body: PAGE }, { id: "b" }],
      }),
      'operations[1].body (id "b") must be the document\'s text (got undefined)',
    ],
    [
      "an Apollo id with two bodies",
      write("apollo-twice.json", {
        format: "apollo-persisted-query-manifest",
        version: 1,
        operations: [
          { id: "a", name: "A", type: "query", body: PAGE },
          { id: "a", name: "A", type: "query", body: TWO },
        ],
      }),
      'gives the id "a" different texts',
    ],
    ["a long id", write("long-id.json", { [big]: "" }), `"${"x".repeat(80)}…" is empty`],
  ])("refuses %s with a ConfigError naming the file and entry", (_, path, message) => {
    let error: unknown;
    try {
      loadTrustedDocuments([clientPreset, path], true);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toContain(`PERSISTED_DOCUMENTS: ${path}`);
    expect(text).toContain(message);
    // Never the whole file.
    expect(text.length).toBeLessThan(500);
  });
});
