import { createHash } from "node:crypto";
import type { CodegenConfig } from "@graphql-codegen/cli";
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";

/** Shared by both outputs: plain string types for our scalars, type-only imports, no enums. */
const clientPreset = {
  preset: "client",
  presetConfig: { fragmentMasking: false },
  config: {
    emitLegacyCommonJSImports: false,
    useTypeImports: true,
    enumsAsTypes: true,
    scalars: { DateTime: "string", ID: "string" },
  },
} as const;

/**
 * The examples' operations also go into a manifest of trusted documents,
 * `examples/gql/persisted-documents.json` (`{ "<id>": "<text>" }`), which the gateway serves with
 * `PERSISTED_DOCUMENTS`; each document carries its id as `__meta__.hash` for the clients to send.
 *
 * The id is the bare sha256 hex of the text: the preset's own `sha256` would prefix it with
 * `sha256:`, while Apollo's persisted-queries link, urql's persisted exchange and relay-compiler
 * all send bare hex, so one form serves every client.
 *
 * `__typename` is selected everywhere because the server runs the manifest's text, not what the
 * client would have sent: Apollo Client and Graphcache add `__typename` to the documents they
 * send, and their caches need it in every answer.
 */
const trustedClientPreset = {
  ...clientPreset,
  presetConfig: {
    ...clientPreset.presetConfig,
    persistedDocuments: {
      hashAlgorithm: (text: string) => createHash("sha256").update(text).digest("hex"),
    },
  },
  documentTransforms: [addTypenameSelectionDocumentTransform],
};

/**
 * Typed documents for the operations the tests and the README's client examples send. The Relay
 * example (`examples/relay/`) is left out on purpose: relay-compiler types it, and its directives
 * (`@connection`, `@refetchable`, `@arguments`) are not in the schema codegen validates against.
 * The tests' documents (`test/gql/`) get no manifest: tests send their text.
 */
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  generates: {
    "test/gql/": { ...clientPreset, documents: ["test/**/*.ts", "!test/gql/**"] },
    "examples/gql/": { ...trustedClientPreset, documents: ["examples/clients/**/*.ts"] },
  },
};

export default config;
