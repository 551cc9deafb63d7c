/**
 * Prints the schema files (`npm run schema`), or with `--check` fails when a committed file differs
 * from what the code builds (CI's drift check):
 * - schema/schema.graphql: the client-facing SDL, without federation plumbing;
 * - schema/subgraph.graphql: the Federation v2 subgraph SDL, byte for byte what `_service { sdl }`
 *   serves (hence no trailing newline).
 */
import { readFile, writeFile } from "node:fs/promises";
import { printSubgraphSchema } from "@apollo/subgraph";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema, subgraphSchema } from "../src/schema/index.js";

const files = [
  {
    name: "schema/schema.graphql",
    printed: `${printSchema(lexicographicSortSchema(schema))}\n`,
  },
  { name: "schema/subgraph.graphql", printed: printSubgraphSchema(subgraphSchema) },
];

const check = process.argv.includes("--check");
let stale = false;
for (const { name, printed } of files) {
  const target = new URL(`../${name}`, import.meta.url);
  if (!check) {
    await writeFile(target, printed);
    console.log(`Wrote ${name}`);
  } else if ((await readFile(target, "utf8").catch(() => "")) !== printed) {
    console.error(`${name} is stale: run \`npm run schema\` and commit the result.`);
    stale = true;
  } else {
    console.log(`${name} is current.`);
  }
}
if (stale) process.exit(1);
