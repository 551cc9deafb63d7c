import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allJobsWithApollo,
  createApolloClient,
  jobWithApollo,
} from "../../examples/clients/apollo.js";
import { documentId } from "../../examples/clients/document-id.js";
import { ParseJobById, ParseJobsPage, ParseJobUpdates } from "../../examples/clients/operations.js";
import { allJobsWithUrql, createUrqlClient, jobWithUrql } from "../../examples/clients/urql.js";
import type { ParseJobList_query$data } from "../../examples/relay/src/__generated__/ParseJobList_query.graphql.js";
import ParseJobList from "../../examples/relay/src/__generated__/ParseJobList_query.graphql.js";
import ParseJobListPaginationQuery from "../../examples/relay/src/__generated__/ParseJobListPaginationQuery.graphql.js";
import type { ParseJobRow_job$data } from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRow from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRowRefetchQuery from "../../examples/relay/src/__generated__/ParseJobRowRefetchQuery.graphql.js";
import ParseJobsPageQuery from "../../examples/relay/src/__generated__/ParseJobsPageQuery.graphql.js";
import ParseJobUpdatesSubscription from "../../examples/relay/src/__generated__/ParseJobUpdatesSubscription.graphql.js";
import { createRelayEnvironment } from "../../examples/relay/src/environment.js";
import { loadConfig } from "../../src/config.js";
import { load, read } from "../support/relay-store.js";
import { restListing, type Stack, startStack } from "../support/stack.js";

// The client examples against a gateway as a frontend deployment runs it: NODE_ENV=production and
// the manifests `npm run codegen` and `npm run relay` write, so only trusted documents run. A
// recording proxy between client and gateway shows what went over the wire: ids, never text.

const CODEGEN_MANIFEST = fileURLToPath(
  new URL("../../examples/gql/persisted-documents.json", import.meta.url),
);
const RELAY_MANIFEST = fileURLToPath(
  new URL("../../examples/relay/persisted-documents.json", import.meta.url),
);

/** One request a client made, as the proxy saw it, and the gateway's answer to it. */
interface Exchange {
  method: string;
  url: URL;
  body: Record<string, unknown> | undefined;
  status: number;
  answer: { errors?: Array<{ extensions?: { code?: unknown } }> };
}

interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/** Headers that belong to one connection, not to the request the proxy passes on. */
const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding"]);

/** Passes every request on to `target` (the gateway's /graphql) and records it with its answer. */
async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", target);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && !HOP_BY_HOP.has(name)) headers.set(name, value);
    }
    const method = request.method ?? "GET";
    const answer = await fetch(url, { method, headers, body: raw === "" ? undefined : raw });
    const text = await answer.text();
    exchanges.push({
      method,
      url,
      body: raw === "" ? undefined : (JSON.parse(raw) as Record<string, unknown>),
      status: answer.status,
      answer: JSON.parse(text) as Exchange["answer"],
    });
    response.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
    });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    exchanges,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** How a request named its document: by text, by `documentId`, or by Apollo's APQ hash. */
function namedBy(exchange: Exchange): { text?: unknown; documentId?: unknown; hash?: unknown } {
  const { searchParams } = exchange.url;
  const get = (name: string): unknown =>
    exchange.method === "GET" ? (searchParams.get(name) ?? undefined) : exchange.body?.[name];
  const rawExtensions = get("extensions");
  const extensions: unknown =
    typeof rawExtensions === "string" ? JSON.parse(rawExtensions) : rawExtensions;
  const persisted =
    typeof extensions === "object" && extensions !== null && "persistedQuery" in extensions
      ? (extensions.persistedQuery as { sha256Hash?: unknown })
      : undefined;
  const named = { text: get("query"), documentId: get("documentId"), hash: persisted?.sha256Hash };
  return Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined));
}

/** The error code of the gateway's answer to a request, if it refused it. */
const codeOf = (exchange: Exchange | undefined) => exchange?.answer.errors?.[0]?.extensions?.code;

/**
 * A document the build never saw, stamped with an id no manifest holds. Its text is its own: urql
 * keys documents by their text, and would swap in a known document with the same text (and id).
 */
const UNKNOWN_ID = "0".repeat(64);
const unknownDocument = Object.assign(
  parse("query NotInTheManifest($id: ID!) { node(id: $id) { id } }"),
  { __meta__: { hash: UNKNOWN_ID } },
);

const readManifest = async (path: string) =>
  JSON.parse(await readFile(path, "utf8")) as Record<string, string>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the manifests npm run codegen and npm run relay write", () => {
  it("map the sha256 hex of each text to the text, for exactly the operations the clients send", async () => {
    const codegen = await readManifest(CODEGEN_MANIFEST);
    const relay = await readManifest(RELAY_MANIFEST);
    for (const [id, text] of [...Object.entries(codegen), ...Object.entries(relay)]) {
      expect(sha256(text)).toBe(id);
    }
    expect(Object.keys(codegen).sort()).toEqual(
      [documentId(ParseJobsPage), documentId(ParseJobById), documentId(ParseJobUpdates)].sort(),
    );
    // relay-compiler only ever adds to its file: an entry no artifact names is a stale one.
    const relayIds = [
      ParseJobsPageQuery,
      ParseJobListPaginationQuery,
      ParseJobRowRefetchQuery,
      ParseJobUpdatesSubscription,
    ].map((artifact) => artifact.params.id);
    expect(Object.keys(relay).sort()).toEqual(relayIds.sort());
  });
});

describe("the client examples against a production gateway serving only trusted documents", () => {
  let stack: Stack;
  let proxy: RecordingProxy;
  let everything: Array<Record<string, unknown>>;
  beforeAll(async () => {
    const { production, graphiql, introspection, fieldSuggestions, callers } = loadConfig({
      NODE_ENV: "production",
      PERSISTED_DOCUMENTS: `${CODEGEN_MANIFEST},${RELAY_MANIFEST}`,
    });
    // Only-mode is what production means with a manifest: no PERSISTED_DOCUMENTS_ONLY needed.
    expect(callers.persistedDocumentsOnly).toBe(true);
    stack = await startStack({
      config: { production, graphiql, introspection, fieldSuggestions, callers },
    });
    proxy = await startRecordingProxy(stack.gatewayUrl);
    everything = await restListing(stack.demo);
  });
  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
  });
  beforeEach(() => {
    stack.demo.reset();
    proxy.exchanges.length = 0;
  });

  it("refuses the same operations sent as text, before any upstream call", async () => {
    const answer = await stack.query(ParseJobsPage, { first: 5 });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ONLY");
    // The examples' clients without `persisted` send text, and get the same refusal.
    await expect(jobWithApollo(createApolloClient(proxy.url), "anything")).rejects.toThrow();
    expect(codeOf(proxy.exchanges[0])).toBe("PERSISTED_QUERY_ONLY");
    expect(stack.demo.requests).toEqual([]);
  });

  it("Apollo Client (PersistedQueryLink) walks every page and refetches a job by hash alone", async () => {
    const client = createApolloClient(proxy.url, { persisted: true });
    const walked = await allJobsWithApollo(client);
    expect(walked.map((job) => job?.id)).toEqual(everything.map((job) => job.id));
    const picked = everything[41];
    const job = await jobWithApollo(client, String(picked?.id));
    expect(job).toMatchObject({ id: picked?.id, name: picked?.name ?? null });

    const pages = Math.ceil(everything.length / 50);
    expect(proxy.exchanges.map(namedBy)).toEqual([
      ...Array.from({ length: pages }, () => ({ hash: documentId(ParseJobsPage) })),
      { hash: documentId(ParseJobById) },
    ]);
    expect(proxy.exchanges.every((exchange) => exchange.status === 200)).toBe(true);
  });

  it("Apollo Client reports an id the manifest lacks, and does not resend it as text", async () => {
    const client = createApolloClient(proxy.url, { persisted: true });
    const id = String(everything[0]?.id);
    await expect(client.query({ query: unknownDocument, variables: { id } })).rejects.toThrow();
    expect(proxy.exchanges.map(namedBy)).toEqual([{ hash: UNKNOWN_ID }]);
    expect(proxy.exchanges[0]?.status).toBe(404);
    expect(codeOf(proxy.exchanges[0])).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(stack.demo.requests).toEqual([]);
  });

  it("urql (persistedExchange) walks every page and refetches a job by hash alone", async () => {
    const client = createUrqlClient(proxy.url, { persisted: true });
    const walked = await allJobsWithUrql(client, { status: "FAILED" });
    const failed = await restListing(stack.demo, [["status", "FAILED"]]);
    expect(walked.map((job) => job?.id)).toEqual(failed.map((job) => job.id));
    const picked = failed[3];
    const job = await jobWithUrql(client, String(picked?.id));
    expect(job).toMatchObject({ id: picked?.id, status: "FAILED" });

    const pages = Math.ceil(failed.length / 50);
    expect(proxy.exchanges.map(namedBy)).toEqual([
      ...Array.from({ length: pages }, () => ({ hash: documentId(ParseJobsPage) })),
      { hash: documentId(ParseJobById) },
    ]);
    // urql sends persisted queries as GET: cacheable, and the URL holds no text either.
    expect(proxy.exchanges.every((exchange) => exchange.method === "GET")).toBe(true);
    expect(proxy.exchanges.every((exchange) => exchange.status === 200)).toBe(true);
  });

  it("urql reports an id the manifest lacks, and does not resend it as text", async () => {
    const client = createUrqlClient(proxy.url, { persisted: true });
    const id = String(everything[0]?.id);
    const result = await client.query(unknownDocument, { id }).toPromise();
    expect(result.error).toBeDefined();
    expect(proxy.exchanges.map(namedBy)).toEqual([{ hash: UNKNOWN_ID }]);
    expect(codeOf(proxy.exchanges[0])).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(stack.demo.requests).toEqual([]);
  });

  it("Relay (relay-compiler's persisted ids) pages a @connection and refetches by documentId alone", async () => {
    const environment = createRelayEnvironment(proxy.url);
    const filter = { status: "COMPLETED" } as const;
    const root = await load(environment, ParseJobsPageQuery, { filter });
    const cursor = read<ParseJobList_query$data>(environment, ParseJobList, root).parseJobs.pageInfo
      .endCursor;
    await load(environment, ParseJobListPaginationQuery, { count: 10, cursor, filter });
    const list = read<ParseJobList_query$data>(environment, ParseJobList, root);
    const completed = await restListing(stack.demo, [["status", "COMPLETED"]]);
    const ids = list.parseJobs.edges.map((edge) => edge?.node.id);
    expect(ids).toEqual(completed.slice(0, 20).map((job) => job.id));

    const picked = completed[12];
    const refetched = await load(environment, ParseJobRowRefetchQuery, { id: String(picked?.id) });
    const job = read<ParseJobRow_job$data>(environment, ParseJobRow, refetched.node);
    expect(job).toMatchObject({ id: picked?.id, name: picked?.name ?? null, status: "COMPLETED" });

    expect(proxy.exchanges.map(namedBy)).toEqual([
      { documentId: ParseJobsPageQuery.params.id },
      { documentId: ParseJobListPaginationQuery.params.id },
      { documentId: ParseJobRowRefetchQuery.params.id },
    ]);
    expect(proxy.exchanges.every((exchange) => exchange.status === 200)).toBe(true);
  });
});
