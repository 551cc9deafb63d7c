/**
 * A Hive Gateway configuration that composes parse-jobs-graphql with other subgraphs at start-up,
 * from each subgraph's live `_service { sdl }`. Run it with `npx hive-gateway supergraph` next to
 * this file (see the README, "Compose into a supergraph"); the tests start the same configuration.
 */
import type { GatewayConfigSupergraph } from "@graphql-hive/gateway-runtime";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

/** A subgraph to compose: its name in the supergraph and its GraphQL endpoint. */
export interface Subgraph {
  name: string;
  url: string;
}

/** Asks a running subgraph for its SDL, as a router's composition step does. */
export async function fetchSubgraphSdl({ name, url }: Subgraph): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: { _service?: { sdl?: string } };
  } | null;
  const sdl = body?.data?._service?.sdl;
  if (!response.ok || typeof sdl !== "string") {
    throw new Error(
      `Subgraph ${name} at ${url} did not answer _service { sdl } (${response.status})`,
    );
  }
  return sdl;
}

/** Composes the subgraphs into a supergraph SDL, or throws with every composition error. */
export async function composeSupergraph(subgraphs: readonly Subgraph[]): Promise<string> {
  const services = await Promise.all(
    subgraphs.map(async (subgraph) => ({
      name: subgraph.name,
      url: subgraph.url,
      typeDefs: parse(await fetchSubgraphSdl(subgraph)),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => e.message).join("\n")}`);
  }
  return result.supergraphSdl;
}

/** The gateway options: a composed supergraph, and the caller's LlamaCloud key passed on. */
export function createGatewayConfig(subgraphs: readonly Subgraph[]): GatewayConfigSupergraph {
  return {
    supergraph: () => composeSupergraph(subgraphs),
    // parse-jobs-graphql uses the caller's `Authorization: Bearer …` (else its own
    // LLAMA_CLOUD_API_KEY); routers forward no client headers unless told to.
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) =>
        subgraphName === "parse-jobs"
          ? { authorization: request.headers.get("authorization") }
          : undefined,
    },
  };
}

/** What `hive-gateway supergraph` loads: endpoints from the environment, local defaults. */
export const gatewayConfig = createGatewayConfig([
  { name: "parse-jobs", url: process.env.PARSE_JOBS_URL ?? "http://localhost:4000/graphql" },
  { name: "documents", url: process.env.DOCUMENTS_URL ?? "http://localhost:4001/graphql" },
]);
