import type { CodegenConfig } from "@graphql-codegen/cli";

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
 * Typed documents for the operations the tests and the README's client examples send. The Relay
 * example (`examples/relay/`) is left out on purpose: relay-compiler types it, and its directives
 * (`@connection`, `@refetchable`, `@arguments`) are not in the schema codegen validates against.
 */
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  generates: {
    "test/gql/": { ...clientPreset, documents: ["test/**/*.ts", "!test/gql/**"] },
    "examples/gql/": { ...clientPreset, documents: ["examples/clients/**/*.ts"] },
  },
};

export default config;
