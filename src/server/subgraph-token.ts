import { createHash, timingSafeEqual } from "node:crypto";
import { BREAK, type DocumentNode, GraphQLError, visit } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The request header a router sends `SUBGRAPH_TOKEN` in. */
export const SUBGRAPH_TOKEN_HEADER = "x-subgraph-token";

/** The federation fields only a router needs: the schema's SDL and entity lookups. */
const ROUTER_FIELDS = new Set(["_service", "_entities"]);

/**
 * With `SUBGRAPH_TOKEN` set, a document that names `_service` or `_entities` anywhere (under
 * any alias, in any fragment or operation) runs only with `x-subgraph-token: <token>`; else it is
 * refused with `FORBIDDEN` (HTTP 403) before it executes, so nothing is called upstream. Unset,
 * the plugin adds no hook. The check runs at execution, not validation: Yoga caches validation
 * per document, and the answer here depends on the request.
 */
export function subgraphTokenPlugin(token: string | undefined): Plugin {
  if (token === undefined) return {};
  const expected = digest(token);
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!namesRouterFields(args.document)) return;
      const sent = (args.contextValue as { request?: Request }).request?.headers.get(
        SUBGRAPH_TOKEN_HEADER,
      );
      if (sent != null && sameToken(sent, expected)) return;
      setResultAndStopExecution({ errors: [refusal(sent != null)] });
    },
  };
}

/** Whether a request carries the configured `SUBGRAPH_TOKEN` (false when none is configured). */
export function carriesSubgraphToken(request: Request, token: string | undefined): boolean {
  if (token === undefined) return false;
  const sent = request.headers.get(SUBGRAPH_TOKEN_HEADER);
  return sent !== null && sameToken(sent, digest(token));
}

/**
 * Digests have one length, so timingSafeEqual compares them in constant time whatever was sent:
 * the comparison says nothing about how much of the token a guess got right.
 */
function sameToken(sent: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(sent), expected);
}

/** The refusal; it names the header, never the token or what was sent. */
function refusal(wasSent: boolean): GraphQLError {
  const what = wasSent ? "a wrong" : "no";
  return new GraphQLError(
    `_service and _entities are for federation routers: this request sent ${what} ${SUBGRAPH_TOKEN_HEADER} header. Configure the router to send this subgraph's SUBGRAPH_TOKEN in it.`,
    { extensions: { code: "FORBIDDEN", http: { status: 403 } } },
  );
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Yoga hands every request with the same text the same parsed document: decide once per document. */
const verdicts = new WeakMap<DocumentNode, boolean>();

function namesRouterFields(document: DocumentNode): boolean {
  const known = verdicts.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (!ROUTER_FIELDS.has(node.name.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  verdicts.set(document, found);
  return found;
}
