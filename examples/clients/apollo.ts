import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { OperationTypeNode } from "graphql";
import { type Client, createClient } from "graphql-ws";
import type { ParseJobFilter, ParseJobUpdatesSubscription } from "../gql/graphql.js";
import { documentId } from "./document-id.js";
import { ParseJobById, ParseJobsPage, ParseJobUpdates } from "./operations.js";

/**
 * An Apollo Client whose cache merges the pages of `parseJobs` into one list per filter. Queries
 * go over HTTP; subscriptions over WebSocket (graphql-ws) to the same `/graphql`. With
 * `persisted`, it sends each operation's id from the codegen manifest instead of its text, as a
 * gateway serving only trusted documents (`PERSISTED_DOCUMENTS`) requires.
 */
export function createApolloClient(uri: string, { persisted = false } = {}) {
  const transport = ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    webSocketLink(uri.replace(/^http/, "ws")),
    new HttpLink({ uri }),
  );
  return new ApolloClient({
    link: persisted ? persistedIds().concat(transport) : transport,
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

/**
 * Calls `onJob` with each job's state now, then with each change (the cache is updated too);
 * resolves once every job has finished, rejects on an error.
 */
export function watchJobsWithApollo(
  client: ApolloClient,
  ids: string[],
  onJob: (job: ParseJobUpdatesSubscription["parseJobUpdates"]) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const subscription = client
      .subscribe({ query: ParseJobUpdates, variables: { ids } })
      .subscribe({
        next: ({ data, error }) => {
          if (error) {
            subscription.unsubscribe();
            reject(error);
          } else if (data) onJob(data.parseJobUpdates);
        },
        error: reject,
        complete: resolve,
      });
  });
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

/**
 * Subscriptions over graphql-ws, on the global `WebSocket` (Node 20 has none: see the README).
 * The socket's client is made at the first subscription, so a client that only queries needs
 * none. With caller authentication, the token goes in `connection_init`: add
 * `connectionParams: { authorization: "Bearer …" }` to createClient's options.
 */
function webSocketLink(url: string): ApolloLink {
  let link: GraphQLWsLink | undefined;
  return new ApolloLink((operation) => {
    link ??= new GraphQLWsLink(idsAlone(createClient({ url })));
    return link.request(operation);
  });
}

/**
 * GraphQLWsLink sends the text even when PersistedQueryLink has named the document by id (it
 * knows nothing of HTTP's `includeQuery`): the id alone goes out, as over HTTP.
 */
function idsAlone(client: Client): Client {
  return {
    ...client,
    subscribe: (payload, sink) =>
      client.subscribe(
        payload.extensions?.persistedQuery ? { ...payload, query: "" } : payload,
        sink,
      ),
  };
}
