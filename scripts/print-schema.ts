/**
 * Prints the client-facing SDL to schema/schema.graphql (`npm run schema`), or with `--check`
 * fails when the committed file differs from what the code builds (CI's drift check).
 */
import { readFile, writeFile } from "node:fs/promises";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "../src/schema/index.js";

const target = new URL("../schema/schema.graphql", import.meta.url);
const printed = `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes("--check")) {
  const committed = await readFile(target, "utf8").catch(() => "");
  if (committed !== printed) {
    console.error("schema/schema.graphql is stale: run `npm run schema` and commit the result.");
    process.exit(1);
  }
  console.log("schema/schema.graphql is current.");
} else {
  await writeFile(target, printed);
  console.log("Wrote schema/schema.graphql");
}
