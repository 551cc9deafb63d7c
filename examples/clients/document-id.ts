import type { DocumentNode } from "graphql";

/**
 * The id under which `npm run codegen` wrote an operation into the manifest of trusted documents
 * (`examples/gql/persisted-documents.json`); codegen embeds the same id in the document as
 * `__meta__.hash`, so a client sends it without hashing anything at run time.
 */
export function documentId(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== "string") {
    // A document the build did not see has no text on the gateway either: fail before sending.
    throw new Error("this document has no persisted id: is `persistedDocuments` on in codegen.ts?");
  }
  return hash;
}
