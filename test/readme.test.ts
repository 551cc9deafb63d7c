import { readFile } from "node:fs/promises";
import { parse, print } from "graphql";
import { describe, expect, it } from "vitest";
import { EXAMPLE_QUERY } from "../src/yoga.js";

/** Snippet files the README quotes whole, with the fence language it quotes them in. */
const SNIPPETS: Array<[file: string, language: string]> = [
  ["examples/clients/curl.sh", "sh"],
  ["examples/clients/operations.ts", "ts"],
  ["examples/clients/document-id.ts", "ts"],
  ["examples/clients/apollo.ts", "ts"],
  ["examples/clients/urql.ts", "ts"],
  ["examples/relay/relay.config.json", "json"],
  ["examples/relay/src/ParseJobList.ts", "ts"],
  ["examples/relay/src/ParseJobRow.ts", "ts"],
  ["examples/relay/src/ParseJobsPage.ts", "ts"],
  ["examples/relay/src/environment.ts", "ts"],
];

const read = (file: string) => readFile(new URL(`../${file}`, import.meta.url), "utf8");

// The snippets are tested (or compiled) as files; this keeps the README's copies identical to them.
describe("README client snippets", () => {
  it.each(SNIPPETS)("quotes %s verbatim", async (file, language) => {
    const [readme, snippet] = await Promise.all([read("README.md"), read(file)]);
    expect(snippet.endsWith("\n")).toBe(true);
    expect(readme).toContain(`\`\`\`${language}\n${snippet}\`\`\`\n`);
  });

  // Biome formats GraphQL inside Markdown, so this one is compared as a parsed document.
  it("shows the query GraphiQL opens on", async () => {
    const readme = await read("README.md");
    const section = readme.slice(readme.indexOf("### GraphiQL"));
    const quoted = /```graphql\n([\s\S]*?)```/.exec(section)?.[1];
    if (quoted === undefined) throw new Error("no graphql block under ### GraphiQL in README.md");
    expect(print(parse(quoted))).toBe(print(parse(EXAMPLE_QUERY)));
  });
});
