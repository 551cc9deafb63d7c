/**
 * Issue 17's clients: each example client watches a demo job move PENDING → RUNNING → COMPLETED
 * through `parseJobUpdates`, sees every state, and sees its stream complete. Each job moves on
 * only once the client has seen its current state, so no state can be skipped and nothing waits
 * on a clock; a watch that never completed would fail on the test's timeout.
 *
 * Apollo Client subscribes over WebSocket (graphql-ws), urql and Relay over SSE (graphql-sse's
 * client), GraphiQL with the request its page makes. With trusted documents only, each client
 * sends the subscription's id and no text; what went out is read off the client's own socket
 * (`ws`'s `send`) or `fetch`, on real sockets to a real gateway.
 */
import { fileURLToPath } from "node:url";
import { type Environment, requestSubscription } from "relay-runtime";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import {
  createApolloClient,
  jobWithApollo,
  watchJobsWithApollo,
} from "../../examples/clients/apollo.js";
import { documentId } from "../../examples/clients/document-id.js";
import { ParseJobById, ParseJobUpdates } from "../../examples/clients/operations.js";
import { createUrqlClient, jobWithUrql, watchJobsWithUrql } from "../../examples/clients/urql.js";
import type { ParseJobRow_job$data } from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRow from "../../examples/relay/src/__generated__/ParseJobRow_job.graphql.js";
import ParseJobRowRefetchQuery from "../../examples/relay/src/__generated__/ParseJobRowRefetchQuery.graphql.js";
import type { ParseJobUpdatesSubscription as Watch } from "../../examples/relay/src/__generated__/ParseJobUpdatesSubscription.graphql.js";
import ParseJobUpdatesSubscription from "../../examples/relay/src/__generated__/ParseJobUpdatesSubscription.graphql.js";
import { createRelayEnvironment } from "../../examples/relay/src/environment.js";
import { loadConfig } from "../../src/config.js";
import { demoJobs, idsOf, move, waitForSubscriptions } from "../support/live.js";
import { load, read } from "../support/relay-store.js";
import { type Stack, startStack } from "../support/stack.js";

const CODEGEN_MANIFEST = fileURLToPath(
  new URL("../../examples/gql/persisted-documents.json", import.meta.url),
);
const RELAY_MANIFEST = fileURLToPath(
  new URL("../../examples/relay/persisted-documents.json", import.meta.url),
);
const MANIFESTS = `${CODEGEN_MANIFEST},${RELAY_MANIFEST}`;

/** The shortest poll allowed: a move shows within a quarter second. */
const live = { ...loadConfig({}).live, statusPollMs: 250 };

/** A job's state as a client saw it. */
interface Seen {
  id: string;
  status: string;
}

/**
 * A fresh PENDING job in `stack`'s demo upstream, and what a client calls with each state it
 * sees: the job moves on to RUNNING once PENDING was seen, to COMPLETED once RUNNING was.
 */
function pendingJob(stack: Stack, prefix: string) {
  const jobs = demoJobs(prefix, 1);
  stack.demo.addJobs(jobs);
  const [id] = idsOf(jobs) as [string];
  const seen: string[] = [];
  const onJob = (job: Seen) => {
    expect(job.id).toBe(id);
    seen.push(job.status);
    if (job.status === "PENDING") move(stack, id, "RUNNING");
    else if (job.status === "RUNNING") move(stack, id, "COMPLETED");
  };
  return { id, seen, onJob };
}

const EVERY_STATE = ["PENDING", "RUNNING", "COMPLETED"];

/** The JSON bodies of the SSE requests `fetch` sent (the ones accepting `text/event-stream`). */
function sseBodies(spy: { mock: { calls: Array<Parameters<typeof fetch>> } }) {
  return spy.mock.calls
    .filter(([, init]) => new Headers(init?.headers).get("accept") === "text/event-stream")
    .map(([, init]) => JSON.parse(String(init?.body)) as Record<string, unknown>);
}

/** The graphql-ws `subscribe` messages this process's `ws` sockets sent. */
function subscribeMessages(spy: { mock: { calls: Array<unknown[]> } }) {
  return spy.mock.calls
    .map(
      ([data]) => JSON.parse(String(data)) as { type: string; payload?: Record<string, unknown> },
    )
    .filter((message) => message.type === "subscribe");
}

let stack: Stack;
let trusted: Stack;

beforeAll(async () => {
  // Development: text runs, and the manifests are loaded for Relay, whose artifacts carry ids only.
  const { callers } = loadConfig({ PERSISTED_DOCUMENTS: MANIFESTS });
  stack = await startStack({ config: { live, callers } });
  // What a frontend deployment runs: production, and only the documents the manifests hold.
  const production = loadConfig({ NODE_ENV: "production", PERSISTED_DOCUMENTS: MANIFESTS });
  expect(production.callers.persistedDocumentsOnly).toBe(true);
  trusted = await startStack({
    config: {
      live,
      production: production.production,
      graphiql: production.graphiql,
      introspection: production.introspection,
      fieldSuggestions: production.fieldSuggestions,
      callers: production.callers,
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await trusted?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Apollo Client: GraphQLWsLink over graphql-ws", () => {
  // Node 20 has no global WebSocket; graphql-ws's client and GraphQLWsLink both read the global.
  beforeEach(() => {
    vi.stubGlobal("WebSocket", WebSocket);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("watches a job to completion over WebSocket, and the cached job follows", async () => {
    const client = createApolloClient(stack.gatewayUrl);
    const { id, seen, onJob } = pendingJob(stack, "apollo");
    // The job as a screen would show it first, from a query over HTTP.
    expect(await jobWithApollo(client, id)).toMatchObject({ id, status: "PENDING" });
    const sent = vi.spyOn(WebSocket.prototype, "send");

    await watchJobsWithApollo(client, [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
    expect(subscribeMessages(sent)).toHaveLength(1);
    // Each event went into the normalized cache: the query's answer is now COMPLETED, unasked.
    const { data } = await client.query({
      query: ParseJobById,
      variables: { id },
      fetchPolicy: "cache-only",
    });
    expect(data?.node).toMatchObject({ id, status: "COMPLETED" });
    await waitForSubscriptions(stack, 0);
  });

  it("sends the subscription's id alone to a gateway serving only trusted documents", async () => {
    const { id, seen, onJob } = pendingJob(trusted, "apollo-trusted");
    const sent = vi.spyOn(WebSocket.prototype, "send");
    const client = createApolloClient(trusted.gatewayUrl, { persisted: true });
    await watchJobsWithApollo(client, [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
    const [subscribe, ...more] = subscribeMessages(sent);
    expect(more).toEqual([]);
    expect(subscribe?.payload).toMatchObject({
      query: "",
      variables: { ids: [id] },
      extensions: { persistedQuery: { version: 1, sha256Hash: documentId(ParseJobUpdates) } },
    });

    // The same subscription sent as text is refused there: the id is what made it run.
    const asText = createApolloClient(trusted.gatewayUrl);
    await expect(watchJobsWithApollo(asText, [id], () => {})).rejects.toThrow(
      /only trusted documents/,
    );
  });
});

describe("urql: subscriptionExchange over graphql-sse", () => {
  it("watches a job to completion over SSE, and Graphcache's job follows", async () => {
    // graphql-sse takes the global `fetch` when the client is made: spied first.
    const sent = vi.spyOn(globalThis, "fetch");
    const client = createUrqlClient(stack.gatewayUrl);
    const { id, seen, onJob } = pendingJob(stack, "urql");
    expect(await jobWithUrql(client, id)).toMatchObject({ id, status: "PENDING" });

    await watchJobsWithUrql(client, [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
    expect(sseBodies(sent)).toHaveLength(1);
    const cached = await client
      .query(ParseJobById, { id }, { requestPolicy: "cache-only" })
      .toPromise();
    expect(cached.data?.node).toMatchObject({ id, status: "COMPLETED" });
    await waitForSubscriptions(stack, 0);
  });

  it("sends the subscription's id alone to a gateway serving only trusted documents", async () => {
    const { id, seen, onJob } = pendingJob(trusted, "urql-trusted");
    const sent = vi.spyOn(globalThis, "fetch");
    const client = createUrqlClient(trusted.gatewayUrl, { persisted: true });
    await watchJobsWithUrql(client, [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
    const [body, ...more] = sseBodies(sent);
    expect(more).toEqual([]);
    expect(body).toMatchObject({
      query: "",
      variables: { ids: [id] },
      extensions: { persistedQuery: { version: 1, sha256Hash: documentId(ParseJobUpdates) } },
    });
  });
});

/** Relay's requestSubscription, settled: resolves on completion, rejects on an error. */
function watchWithRelay(environment: Environment, ids: string[], onJob: (job: Seen) => void) {
  return new Promise<void>((resolve, reject) => {
    requestSubscription<Watch>(environment, {
      subscription: ParseJobUpdatesSubscription,
      variables: { ids },
      onNext: (response) => {
        if (response) onJob(response.parseJobUpdates);
      },
      onError: reject,
      onCompleted: resolve,
    });
  });
}

describe("Relay: the network layer's subscribe over graphql-sse", () => {
  it("watches a job to completion by persisted id, and the row in the store follows", async () => {
    const { id, seen, onJob } = pendingJob(stack, "relay");
    const sent = vi.spyOn(globalThis, "fetch");
    const environment = createRelayEnvironment(stack.gatewayUrl);
    // A row on screen: ParseJobRow_job, loaded by its refetch query.
    const refetched = await load(environment, ParseJobRowRefetchQuery, { id });
    const row = () => read<ParseJobRow_job$data>(environment, ParseJobRow, refetched.node);
    expect(row()).toMatchObject({ id, status: "PENDING" });

    await watchWithRelay(environment, [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
    // The subscription updated the job's record: the row reads COMPLETED with no refetch.
    expect(row()).toMatchObject({ id, status: "COMPLETED" });
    expect(sseBodies(sent)).toEqual([
      { query: "", documentId: ParseJobUpdatesSubscription.params.id, variables: { ids: [id] } },
    ]);
    await waitForSubscriptions(stack, 0);
  });

  it("runs on a gateway serving only trusted documents", async () => {
    const { id, seen, onJob } = pendingJob(trusted, "relay-trusted");
    await watchWithRelay(createRelayEnvironment(trusted.gatewayUrl), [id], onJob);
    expect(seen).toEqual(EVERY_STATE);
  });
});

/** GraphiQL's options as the page embeds them for `YogaGraphiQL.renderYogaGraphiQL`. */
interface PageOptions {
  method?: "GET" | "POST";
  subscriptionsProtocol?: string;
  additionalHeaders?: Record<string, string>;
  useContentTypeForGETRequests?: boolean;
}

/** One SSE event: `next` with its result, or `complete`. */
interface SseEvent {
  event: string;
  data: string;
}

/** Reads an event stream block by block, calling `onEvent` with each; ends with the stream. */
async function readEvents(response: Response, onEvent: (event: SseEvent) => void) {
  if (response.body === null) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const lines = buffer.slice(0, end).split("\n");
      buffer = buffer.slice(end + 2);
      const field = (name: string) =>
        lines
          .filter((line) => line.startsWith(`${name}:`))
          .map((line) => line.slice(name.length + 1).trim())
          .join("\n");
      // Comment lines alone (`:` pings) make no event.
      if (field("event") !== "") onEvent({ event: field("event"), data: field("data") });
    }
  }
}

describe("GraphiQL: the page's own SSE request", () => {
  it("watches a job to completion with the request GraphiQL's fetcher sends", async () => {
    const page = await (await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } })).text();
    const embedded =
      /renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\);/s.exec(
        page,
      )?.[1];
    if (embedded === undefined) throw new Error("no renderYogaGraphiQL call in the page");
    const options = JSON.parse(embedded) as PageOptions;
    // Yoga's fetcher subscribes over SSE on the page's endpoint (GRAPHQL_SSE with the endpoint
    // itself as `subscriptionsEndpoint`) unless the options name another protocol, which the
    // request below would then not be.
    expect(page).toMatch(/subscriptionsProtocol:\w+\.GRAPHQL_SSE,subscriptionsEndpoint:\w+,/);
    expect(options.subscriptionsProtocol ?? "GRAPHQL_SSE").toMatch(/^(GRAPHQL_)?SSE$/);
    // Its HTTP executor sends a subscription with `accept: text/event-stream`, as a GET unless
    // `method` is set; its own headers are `additionalHeaders` (and the Headers pane's: none).
    expect(page).toMatch(
      /==="subscription"\|\|\w+\(\w+\)\?\(\w+\|\|="GET",\w+="text\/event-stream"/,
    );
    const method = options.method ?? "GET";

    const { id, seen, onJob } = pendingJob(stack, "graphiql");
    // What a person pastes into the editor and runs: no variables, no operation name.
    const query = `subscription { parseJobUpdates(ids: ["${id}"]) { id status updatedAt } }`;
    const headers: Record<string, string> = {
      accept: "text/event-stream",
      ...options.additionalHeaders,
    };
    let request: Request;
    if (method === "GET") {
      const url = new URL(stack.gatewayUrl);
      url.searchParams.set("query", query);
      if (options.useContentTypeForGETRequests) headers["content-type"] = "application/json";
      request = new Request(url, { headers });
    } else {
      headers["content-type"] = "application/json";
      request = new Request(stack.gatewayUrl, {
        method: "POST",
        headers,
        body: JSON.stringify({ query }),
      });
    }

    const response = await fetch(request);
    const events: string[] = [];
    const errors: unknown[] = [];
    await readEvents(response, ({ event, data }) => {
      events.push(event);
      if (event !== "next") return;
      const result = JSON.parse(data) as { data?: { parseJobUpdates: Seen }; errors?: unknown[] };
      errors.push(...(result.errors ?? []));
      if (result.data) onJob(result.data.parseJobUpdates);
    });
    expect(errors).toEqual([]);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(seen).toEqual(EVERY_STATE);
    expect(events).toEqual(["next", "next", "next", "complete"]);
  });
});
