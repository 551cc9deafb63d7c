import { Environment, Network, RecordSource, Store } from "relay-runtime";

/**
 * A Relay environment that posts each operation to the gateway. relay-compiler persists the
 * operations (`persistConfig` in relay.config.json): their texts go to persisted-documents.json,
 * which the gateway serves (`PERSISTED_DOCUMENTS`), and each artifact carries only an id.
 */
export function createRelayEnvironment(url: string): Environment {
  return new Environment({
    network: Network.create(async (operation, variables) => {
      const document =
        operation.id !== null ? { documentId: operation.id } : { query: operation.text };
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ ...document, variables }),
      });
      return response.json();
    }),
    store: new Store(new RecordSource()),
  });
}
