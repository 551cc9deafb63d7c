/**
 * The documents subgraph of the federation demo (`npm run demo:supergraph`) and of the federation
 * tests: another team's service that knows a document's parse job by its id alone.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";

/** The documents subgraph's SDL, as it is composed with the parse-jobs subgraph. */
export const documentsTypeDefs = readFileSync(
  new URL("./documents.graphql", import.meta.url),
  "utf8",
);

/** One document the subgraph serves; `parseJobId` null means it was never parsed. */
export interface TestDocument {
  id: string;
  title: string;
  parseJobId: string | null;
}

/** The documents subgraph on a loopback port, counting the requests it serves. */
export interface DocumentsSubgraph {
  readonly url: string;
  requests(): number;
  /** The `Authorization` header of each request served, oldest first (undefined: none sent). */
  authorizations(): ReadonlyArray<string | undefined>;
  close(): Promise<void>;
}

/**
 * Serves `documents` over real HTTP on loopback, the way another team's subgraph would run, on
 * `port` (default: any free one).
 */
export async function startDocumentsSubgraph(
  documents: readonly TestDocument[],
  { port = 0 }: { port?: number } = {},
): Promise<DocumentsSubgraph> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(documentsTypeDefs),
    resolvers: {
      Query: {
        documents: (_root: unknown, args: { first: number; after?: string | null }) => {
          const start = args.after ? Number(args.after) + 1 : 0;
          const slice = documents.slice(start, start + args.first);
          return {
            edges: slice.map((node, index) => ({ cursor: String(start + index), node })),
            pageInfo: {
              hasNextPage: start + slice.length < documents.length,
              hasPreviousPage: start > 0,
              startCursor: slice.length > 0 ? String(start) : null,
              endCursor: slice.length > 0 ? String(start + slice.length - 1) : null,
            },
          };
        },
      },
      Document: {
        parseJob: (document: TestDocument) =>
          document.parseJobId === null ? null : { id: document.parseJobId },
      },
    },
  });
  let requests = 0;
  const authorizations: Array<string | undefined> = [];
  const yoga = createYoga({ schema, graphqlEndpoint: "/graphql", logging: false });
  const server: Server = createServer((request, response) => {
    requests++;
    authorizations.push(request.headers.authorization);
    return yoga(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests: () => requests,
    authorizations: () => [...authorizations],
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
