import { Client, fetchExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { persistedExchange } from "@urql/exchange-persisted";
import type { ParseJobFilter } from "../gql/graphql.js";
import { documentId } from "./document-id.js";
import { ParseJobById, ParseJobsPage } from "./operations.js";

/**
 * An urql client whose Graphcache merges the pages of `parseJobs` into one list per filter. With
 * `persisted`, it sends each operation's id from the codegen manifest instead of its text, as a
 * gateway serving only trusted documents (`PERSISTED_DOCUMENTS`) requires.
 */
export function createUrqlClient(url: string, { persisted = false } = {}) {
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
              generateHash: async (_text, document) => documentId(document),
            }),
          ]
        : []),
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
