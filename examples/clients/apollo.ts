import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";
import type { ParseJobFilter } from "../gql/graphql.js";
import { documentId } from "./document-id.js";
import { ParseJobById, ParseJobsPage } from "./operations.js";

/**
 * An Apollo Client whose cache merges the pages of `parseJobs` into one list per filter. With
 * `persisted`, it sends each operation's id from the codegen manifest instead of its text, as a
 * gateway serving only trusted documents (`PERSISTED_DOCUMENTS`) requires.
 */
export function createApolloClient(uri: string, { persisted = false } = {}) {
  const http = new HttpLink({ uri });
  return new ApolloClient({
    link: persisted ? persistedIds().concat(http) : http,
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { parseJobs: relayStylePagination(["filter"]) } } },
    }),
  });
}

/** Asks for page after page; each answer is read back from the cache with all pages so far. */
export async function allJobsWithApollo(client: ApolloClient, filter?: ParseJobFilter) {
  let after: string | null | undefined;
  for (;;) {
    const { data } = await client.query({
      query: ParseJobsPage,
      variables: { first: 50, after, filter },
      // A new page must come from the server: the merged list in the cache would satisfy any `after`.
      fetchPolicy: "network-only",
    });
    if (!data) throw new Error("parseJobs answered without data");
    const { edges, pageInfo } = data.parseJobs;
    if (!pageInfo.hasNextPage) return edges.map((edge) => edge?.node);
    after = pageInfo.endCursor;
  }
}

/** Loads one job again by its id, as a Relay-style refetch. */
export async function jobWithApollo(client: ApolloClient, id: string) {
  const { data } = await client.query({ query: ParseJobById, variables: { id } });
  return data?.node;
}

/** Sends `extensions.persistedQuery.sha256Hash` with the id codegen gave the document, no text. */
function persistedIds() {
  return new PersistedQueryLink({
    generateHash: documentId,
    // An unknown id is a build out of step with the gateway's manifest: resending the text would
    // only be refused too, and would put the text on the wire.
    retry: () => false,
  });
}
