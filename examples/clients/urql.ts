import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createSseClient } from "graphql-sse";
import { toAsyncIterable } from "wonka";
import type { ParseJobFilter, ParseJobUpdatesSubscription } from "../gql/graphql.js";
import { documentId } from "./document-id.js";
import { ParseJobById, ParseJobsPage, ParseJobUpdates } from "./operations.js";

/**
 * An urql client whose Graphcache merges the pages of `parseJobs` into one list per filter.
 * Subscriptions go over GraphQL over SSE (graphql-sse's client: one POST per subscription to the
 * same `/graphql`, answered as an event stream). With `persisted`, it sends each operation's id
 * from the codegen manifest instead of its text, as a gateway serving only trusted documents
 * (`PERSISTED_DOCUMENTS`) requires.
 */
export function createUrqlClient(url: string, { persisted = false } = {}) {
  // graphql-sse would retry any non-2xx answer for about a minute, yet a refusal (401, 403, 429)
  // is only refused again: when to subscribe again is the app's call.
  const sse = createSseClient({ url, retryAttempts: 0 });
  return new Client({
    url,
    // urql sends queries as GET; the gateway's CSRF prevention wants this header on every GET.
    fetchOptions: { headers: { "x-graphql-yoga-csrf": "1" } },
    exchanges: [
      cacheExchange({
        // Connections, edges and page info have no id of their own: they live inside their parent.
        keys: { ParseJobConnection: () => null, ParseJobEdge: () => null, PageInfo: () => null },
        resolvers: { Query: { parseJobs: relayPagination() } },
      }),
      // `enforcePersistedQueries`: never fall back to sending the text, which the gateway refuses.
      ...(persisted
        ? [
            persistedExchange({
              enforcePersistedQueries: true,
              enableForSubscriptions: true,
              generateHash: async (_text, document) => documentId(document),
            }),
          ]
        : []),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            // `query` is absent when the persisted exchange named the document by id.
            unsubscribe: sse.subscribe({ ...request, query: request.query ?? "" }, sink),
          }),
        }),
      }),
      fetchExchange,
    ],
  });
}

/** Asks for page after page; each answer comes back from the cache with all pages so far. */
export async function allJobsWithUrql(client: Client, filter?: ParseJobFilter) {
  let after: string | null | undefined;
  for (;;) {
    const { data, error } = await client
      .query(ParseJobsPage, { first: 50, after, filter })
      .toPromise();
    if (error) throw error;
    if (!data) throw new Error("parseJobs answered without data");
    const { edges, pageInfo } = data.parseJobs;
    if (!pageInfo.hasNextPage) return edges.map((edge) => edge?.node);
    after = pageInfo.endCursor;
  }
}

/** Loads one job again by its id, as a Relay-style refetch. */
export async function jobWithUrql(client: Client, id: string) {
  const { data, error } = await client.query(ParseJobById, { id }).toPromise();
  if (error) throw error;
  return data?.node;
}

/**
 * Calls `onJob` with each job's state now, then with each change (Graphcache is updated too);
 * resolves once every job has finished, rejects on an error.
 */
export async function watchJobsWithUrql(
  client: Client,
  ids: string[],
  onJob: (job: ParseJobUpdatesSubscription["parseJobUpdates"]) => void,
) {
  const results = toAsyncIterable(client.subscription(ParseJobUpdates, { ids }));
  // Leaving the loop (a throw) unsubscribes.
  for await (const { data, error, hasNext } of results) {
    if (error) throw error;
    // The last result (`hasNext: false`) only marks the end of the stream: it repeats the last job.
    if (data && hasNext) onJob(data.parseJobUpdates);
  }
}
