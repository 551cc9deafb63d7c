import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";
import {
  type DocumentsSubgraph,
  documentsTypeDefs,
  startDocumentsSubgraph,
} from "../../examples/federation/documents-subgraph.js";
import { createGatewayConfig, type Subgraph } from "../../examples/federation/gateway.config.js";

/** The committed subgraph SDL of this gateway, as a router would fetch it through `_service`. */
export function committedSubgraphSdl(): Promise<string> {
  return readFile(new URL("../../schema/subgraph.graphql", import.meta.url), "utf8");
}

/**
 * Composes the parse-jobs subgraph (from its committed SDL) with another subgraph's SDL, by
 * default the test's documents subgraph. Only composition happens here, so the URLs are nominal.
 */
export async function composeWithDocuments(otherTypeDefs: string = documentsTypeDefs) {
  return composeServices([
    {
      name: "parse-jobs",
      typeDefs: parse(await committedSubgraphSdl()),
      url: "http://parse-jobs.test/graphql",
    },
    { name: "documents", typeDefs: parse(otherTypeDefs), url: "http://documents.test/graphql" },
  ]);
}

/** A Hive Gateway (its runtime, in this process) serving a supergraph on a loopback port. */
export interface FederationGateway {
  readonly url: string;
  query<T>(
    query: string,
    headers?: Record<string, string>,
  ): Promise<{
    /** The router's HTTP status. */
    status: number;
    data?: T;
    errors?: Array<{ message?: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  }>;
  close(): Promise<void>;
}

/**
 * Starts Hive Gateway's runtime with the README's configuration (examples/federation/gateway.config.ts), which
 * composes the running subgraphs from their `_service { sdl }`.
 */
export async function startFederationGateway(
  subgraphs: readonly Subgraph[],
): Promise<FederationGateway> {
  const gateway = createGatewayRuntime({
    ...createGatewayConfig(subgraphs),
    logging: false,
    // Subgraph errors are shown as they are, so that a failing test says what went wrong.
    maskedErrors: false,
  });
  // Compose now rather than on the first request, so tests count only their own subgraph calls.
  await gateway.getSchema();
  const server: Server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    async query(query, headers = {}) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, ...((await response.json()) as object) } as never;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.dispose();
    },
  };
}

/** The documents subgraph and Hive Gateway in front of it and of a running parse-jobs gateway. */
export interface DocumentsSupergraph {
  documents: DocumentsSubgraph;
  gateway: FederationGateway;
  close(): Promise<void>;
}

/**
 * Starts the documents subgraph with one document per entry of `parseJobIds` (null: a document
 * never parsed), then Hive Gateway composing it with parse-jobs at `parseJobsUrl`.
 */
export async function startDocumentsSupergraph(
  parseJobsUrl: string,
  parseJobIds: ReadonlyArray<string | null>,
): Promise<DocumentsSupergraph> {
  const documents = await startDocumentsSubgraph(
    parseJobIds.map((parseJobId, index) => ({
      id: `doc-${index}`,
      title: `Doc ${index}`,
      parseJobId,
    })),
  );
  const gateway = await startFederationGateway([
    { name: "parse-jobs", url: parseJobsUrl },
    { name: "documents", url: documents.url },
  ]).catch(async (error: unknown) => {
    await documents.close();
    throw error;
  });
  return {
    documents,
    gateway,
    async close() {
      await gateway.close();
      await documents.close();
    },
  };
}
