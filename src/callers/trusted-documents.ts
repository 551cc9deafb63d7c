/**
 * Trusted documents (persisted documents): manifests mapping an id to a document's text, read once
 * at start, and the per-request step that swaps a named id for its text before anything parses it.
 *
 * A request names a document by `documentId` (GraphQL over HTTP's persisted documents: a member of
 * the JSON body, or a parameter of a GET's URL) or by `extensions.persistedQuery.sha256Hash`
 * (Apollo Client's persisted-queries link). Ids are opaque keys: GraphQL Code Generator writes
 * sha256 hex, relay-compiler md5 by default, Apollo's manifest whatever its generator chose, so
 * nothing is hashed, here or per request; a request costs one Map lookup.
 */
import { readFileSync } from "node:fs";
import { resolve as absolute } from "node:path";
import { GraphQLError } from "graphql";
import type { GraphQLParams } from "graphql-yoga";
import { ConfigError } from "../config-env.js";
import { GatewayError, isRecord } from "../upstream/errors.js";

export interface TrustedDocuments {
  /** The params to run: the trusted text in place of an id; throws a GraphQLError to refuse. */
  resolve(params: GraphQLParams, request: Request): GraphQLParams;
  /** How many documents the manifests hold. */
  readonly size: number;
}

/** The `format` of a manifest written by `@apollo/generate-persisted-query-manifest`. */
const APOLLO_FORMAT = "apollo-persisted-query-manifest";

/** Longest piece of an id shown in a message: ids are hashes, and a client's may be anything. */
const MAX_SHOWN_ID = 80;

/**
 * Reads and merges the manifests at `paths`; a ConfigError names the file and entry of any
 * problem. `only`: refuse documents sent as text (PERSISTED_DOCUMENTS_ONLY).
 */
export function loadTrustedDocuments(paths: readonly string[], only: boolean): TrustedDocuments {
  const documents = new Map<string, string>();
  const sources = new Map<string, string>();
  for (const path of paths) {
    for (const [id, text] of readManifest(path)) {
      const known = documents.get(id);
      if (known === undefined) {
        documents.set(id, text);
        sources.set(id, path);
      } else if (known !== text) {
        // Which of the two texts a client meant cannot be known: refusing both is the safe answer.
        const other = sources.get(id);
        const files = other === path ? `${path} gives` : `${path} and ${other} give`;
        throw new ConfigError(
          `PERSISTED_DOCUMENTS: ${files} the id ${shown(id)} different texts; an id must name one document`,
        );
      }
    }
  }
  return {
    size: documents.size,
    resolve: (params, request) => resolveParams(documents, only, params, request),
  };
}

function resolveParams(
  documents: ReadonlyMap<string, string>,
  only: boolean,
  params: GraphQLParams,
  request: Request,
): GraphQLParams {
  const id = requestedId(params, request);
  const { query } = params;
  // An empty text counts as none, as Yoga reads an empty `query` parameter of a GET.
  const hasText = query !== undefined && query !== null && query !== "";
  if (id === undefined) {
    // Neither id nor text: Yoga's own check says what is missing.
    if (!hasText || !only) return params;
    throw textRefused();
  }
  if (hasText && typeof query !== "string") {
    throw badRequest(`Expected "query" param to be a string, but given ${typeof query}.`);
  }
  const trusted = documents.get(id);
  if (trusted === undefined) {
    // Apollo's link answers PERSISTED_QUERY_NOT_FOUND by sending the id again with the text: that
    // text runs when text is allowed, and is refused as text when it is not.
    if (hasText) {
      if (only) throw textRefused();
      return withQuery(params, query);
    }
    throw new GatewayError(
      "PERSISTED_QUERY_NOT_FOUND",
      `No trusted document has the id ${shown(id)}: build the manifest (PERSISTED_DOCUMENTS) from the client's operations and restart the gateway`,
      { http: { status: 404 } },
    );
  }
  if (hasText && query !== trusted) {
    // BAD_REQUEST, as for Yoga's and the gateway's other malformed parameters: the request
    // contradicts itself, which no argument value could fix (BAD_USER_INPUT). Running either text
    // would run something the client did not mean, or something untrusted.
    throw badRequest(
      `The "query" text sent differs from the trusted document ${shown(id)} the request names: send the id alone`,
    );
  }
  return withQuery(params, trusted);
}

function textRefused(): GatewayError {
  return new GatewayError(
    "PERSISTED_QUERY_ONLY",
    'This gateway serves only trusted documents, named by id ("documentId", or extensions.persistedQuery.sha256Hash), and refuses a document sent as text: add the operation to the manifest (PERSISTED_DOCUMENTS) and send its id, or set PERSISTED_DOCUMENTS_ONLY=false to accept text too',
    { http: { status: 400 } },
  );
}

/** The params without `documentId` (which Yoga's own check refuses) and with this `query`. */
function withQuery(params: GraphQLParams, query: string | undefined): GraphQLParams {
  const { operationName, variables, extensions } = params;
  return { query, operationName, variables, extensions };
}

/** The id the request names, if any; a malformed one is a 400 saying what was wrong. */
function requestedId(params: GraphQLParams, request: Request): string | undefined {
  let documentId: unknown = (params as Record<string, unknown>).documentId ?? undefined;
  // Yoga's GET parser keeps only the four standard parameters, so a GET's id is read off the URL;
  // the substring test spares the parse for every GET that names none.
  if (documentId === undefined && request.method === "GET" && request.url.includes("documentId=")) {
    documentId = new URL(request.url).searchParams.get("documentId") ?? undefined;
  }
  const hash = persistedQueryHash(params.extensions);
  if (documentId === undefined) return hash;
  if (typeof documentId !== "string" || documentId === "") {
    throw badRequest(`"documentId" must be a non-empty string (got ${describe(documentId)})`);
  }
  if (hash !== undefined && hash !== documentId) {
    throw badRequest(
      `"documentId" (${shown(documentId)}) and extensions.persistedQuery.sha256Hash (${shown(hash)}) name different documents: send one id`,
    );
  }
  return documentId;
}

/** Apollo's `extensions.persistedQuery`: `{ version: 1, sha256Hash }`, or absent. */
function persistedQueryHash(extensions: unknown): string | undefined {
  if (!isRecord(extensions)) return undefined;
  const persisted = extensions.persistedQuery;
  if (persisted === undefined || persisted === null) return undefined;
  if (!isRecord(persisted)) {
    throw badRequest(
      `extensions.persistedQuery must be an object { "version": 1, "sha256Hash": "…" } (got ${describe(persisted)})`,
    );
  }
  if (persisted.version !== 1) {
    throw badRequest(
      `extensions.persistedQuery.version must be 1, the only version there is (got ${describe(persisted.version)})`,
    );
  }
  const hash = persisted.sha256Hash;
  if (typeof hash !== "string" || hash === "") {
    throw badRequest(
      `extensions.persistedQuery.sha256Hash must be a non-empty string (got ${describe(hash)})`,
    );
  }
  return hash;
}

/** The code and status Yoga and src/server/client-errors.ts give malformed parameters. */
function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
}

/** One manifest's entries, checked; a problem is a ConfigError naming the file and the entry. */
function readManifest(path: string): Array<[id: string, text: string]> {
  const where = `PERSISTED_DOCUMENTS: ${path}`;
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${where} cannot be read (${reason}; looked at ${absolute(path)})`);
  }
  let parsed: unknown;
  try {
    // A byte-order mark, as some editors write one, is not JSON's.
    parsed = JSON.parse(raw.replace(/^\uFEFF/, ""));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${where} is not valid JSON (${cut(reason, 200)})`);
  }
  if (!isRecord(parsed)) {
    throw new ConfigError(
      `${where} must be a JSON object of document id → text, or an ${APOLLO_FORMAT} (got ${describe(parsed)})`,
    );
  }
  const entries =
    parsed.format !== undefined && Array.isArray(parsed.operations)
      ? apolloEntries(parsed, where)
      : Object.entries(parsed).map(([id, text]): [string, string] => {
          const entry = `${where}: the entry ${shown(id)}`;
          if (typeof text !== "string") {
            throw new ConfigError(`${entry} must be the document's text (got ${describe(text)})`);
          }
          return [id, text];
        });
  if (entries.length === 0) {
    // An empty manifest is almost surely the wrong file, and would refuse every request.
    throw new ConfigError(`${where} holds no documents`);
  }
  for (const [id, text] of entries) {
    if (id === "") throw new ConfigError(`${where}: a document has an empty id`);
    if (text.trim() === "") throw new ConfigError(`${where}: the document ${shown(id)} is empty`);
  }
  return entries;
}

/** `operations[i].id` and `.body` of an Apollo manifest, version 1. */
function apolloEntries(manifest: Record<string, unknown>, where: string): Array<[string, string]> {
  if (manifest.format !== APOLLO_FORMAT || manifest.version !== 1) {
    throw new ConfigError(
      `${where} has format ${describe(manifest.format)}, version ${describe(manifest.version)}: only "${APOLLO_FORMAT}" version 1 is read`,
    );
  }
  const operations = manifest.operations as unknown[];
  return operations.map((operation, index): [string, string] => {
    const entry = `${where}: operations[${index}]`;
    if (!isRecord(operation)) {
      throw new ConfigError(`${entry} must be an object (got ${describe(operation)})`);
    }
    const { id, body } = operation;
    if (typeof id !== "string") {
      throw new ConfigError(`${entry}.id must be a string (got ${describe(id)})`);
    }
    if (typeof body !== "string") {
      throw new ConfigError(
        `${entry}.body (id ${shown(id)}) must be the document's text (got ${describe(body)})`,
      );
    }
    return [id, body];
  });
}

/** An id as a message shows it: quoted, at most MAX_SHOWN_ID characters of it. */
function shown(id: string): string {
  return JSON.stringify(cut(id, MAX_SHOWN_ID));
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** What a value is, for a message: never the value itself, which may be large. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(cut(value, 40))}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  return typeof value === "object" ? "an object" : typeof value;
}
