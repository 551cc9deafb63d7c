import { Environment, Network, RecordSource, Store } from "relay-runtime";

/** A Relay environment that posts the compiled operation text to the gateway. */
export function createRelayEnvironment(url: string): Environment {
  return new Environment({
    network: Network.create(async (operation, variables) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: operation.text, variables }),
      });
      return response.json();
    }),
    store: new Store(new RecordSource()),
  });
}
