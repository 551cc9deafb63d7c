import { createClient } from "graphql-sse";
import {
  Environment,
  type GraphQLResponse,
  Network,
  Observable,
  RecordSource,
  type RequestParameters,
  Store,
} from "relay-runtime";

/**
 * A Relay environment that posts each operation to the gateway, and opens each subscription as
 * GraphQL over SSE (graphql-sse's client: one POST with `accept: text/event-stream`, answered as
 * an event stream). relay-compiler persists the operations (`persistConfig` in
 * relay.config.json): their texts go to persisted-documents.json, which the gateway serves
 * (`PERSISTED_DOCUMENTS`), and each artifact carries only an id.
 */
export function createRelayEnvironment(url: string): Environment {
  // graphql-sse would retry any non-2xx answer for about a minute, yet a refusal (401, 403, 429)
  // is only refused again: when to subscribe again is the app's call.
  const sse = createClient({ url, retryAttempts: 0 });
  return new Environment({
    network: Network.create(
      async (operation, variables) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ ...named(operation), variables }),
        });
        return response.json();
      },
      (operation, variables) =>
        Observable.create<GraphQLResponse>((sink) =>
          // graphql-sse posts the request as it is, so `documentId` goes along with it.
          sse.subscribe(
            { query: "", ...named(operation), variables },
            {
              // The same JSON result, typed by each library in its own way.
              next: (result) => sink.next(result as GraphQLResponse),
              error: (error) =>
                sink.error(error instanceof Error ? error : new Error(String(error))),
              complete: () => sink.complete(),
            },
          ),
        ),
    ),
    store: new Store(new RecordSource()),
  });
}

/** The operation's persisted id, or its text if relay-compiler did not persist it. */
function named(operation: RequestParameters) {
  return operation.id !== null ? { documentId: operation.id } : { query: operation.text ?? "" };
}
