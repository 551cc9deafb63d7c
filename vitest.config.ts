import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

// graphql 16 ships both CommonJS and ESM builds. Node (and so Yoga and Pothos) loads the CommonJS
// one; Vite would hand our sources the ESM one, and two copies break `instanceof GraphQLError`.
// Pointing the bare specifier at the file Node picks keeps exactly one copy in tests too.
const graphqlEntry = createRequire(import.meta.url).resolve("graphql");

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
