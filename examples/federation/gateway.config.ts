/**
 * A Hive Gateway configuration that composes parse-jobs-graphql with other subgraphs at start-up,
 * from each subgraph's live `_service { sdl }`. `npm run demo:supergraph` (demo.ts) serves it with
 * Hive Gateway's runtime, as do the tests; `npx hive-gateway supergraph` loads it too (see the
 * README, "Compose into a supergraph").
 */
import type { GatewayConfigSupergraph } from "@graphql-hive/gateway-runtime";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

/** A subgraph to compose: its name in the supergraph and its GraphQL endpoint. */
export interface Subgraph {
  name: string;
  url: string;
  /** That subgraph's `SUBGRAPH_TOKEN`, sent as `x-subgraph-token` to it alone (parse-jobs). */
  token?: string;
}

/** Asks a running subgraph for its SDL, as a router's composition step does. */
export async function fetchSubgraphSdl({ name, url, token }: Subgraph): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(token === undefined ? {} : { "x-subgraph-token": token }),
    },
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

/**
 * The gateway options: a composed supergraph, the caller's LlamaCloud key passed on, and each
 * subgraph's token (if any) sent to it.
 */
export function createGatewayConfig(subgraphs: readonly Subgraph[]): GatewayConfigSupergraph {
  const tokens = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.token]));
  return {
    supergraph: () => composeSupergraph(subgraphs),
    // parse-jobs-graphql reads the caller's `Authorization: Bearer …`: a LlamaCloud key (else it
    // uses its own LLAMA_CLOUD_API_KEY), or, with caller authentication on there, the caller's
    // JWT, which decides the projects the caller sees (jobs are then read with its own key).
    // Routers forward no client headers unless told to, and no other subgraph gets this one.
    // Its `_entities` also needs its SUBGRAPH_TOKEN when one is set, which no client sends: the
    // gateway adds it. Composition's `_service { sdl }` needs no caller's JWT.
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) => {
        if (subgraphName !== "parse-jobs") return undefined;
        const token = tokens.get(subgraphName);
        return {
          authorization: request.headers.get("authorization"),
          ...(token === undefined ? {} : { "x-subgraph-token": token }),
        };
      },
    },
  };
}

/** What `hive-gateway supergraph` loads: endpoints from the environment, local defaults. */
export const gatewayConfig = createGatewayConfig([
  {
    name: "parse-jobs",
    url: process.env.PARSE_JOBS_URL ?? "http://localhost:4000/graphql",
    // The same value as the parse-jobs gateway's SUBGRAPH_TOKEN (unset there: leave it unset).
    token: process.env.SUBGRAPH_TOKEN || undefined,
  },
  { name: "documents", url: process.env.DOCUMENTS_URL ?? "http://localhost:4001/graphql" },
]);
