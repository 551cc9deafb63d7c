import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_QUERY } from "../../src/yoga.js";
import { restListing, type Stack, startStack } from "../support/stack.js";

const run = promisify(execFile);

/** The README's curl snippet, pointed at the test gateway instead of the default port. */
async function curlSnippet(gatewayUrl: string): Promise<string> {
  const script = await readFile(new URL("../../examples/clients/curl.sh", import.meta.url), "utf8");
  expect(script).toContain("http://localhost:4000/graphql");
  return script.replace("http://localhost:4000/graphql", gatewayUrl);
}

interface FailedPage {
  data: {
    parseJobs: {
      edges: Array<{ node: { id: string; status: string; errorMessage: string | null } }>;
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
  };
}

describe("the README's curl and GraphiQL snippets against the running gateway", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it("curl gets the first five failed jobs, as REST lists them", async () => {
    const { stdout } = await run("bash", ["-c", await curlSnippet(stack.gatewayUrl)]);
    const answer = JSON.parse(stdout) as FailedPage;
    const failed = await restListing(stack.demo, [["status", "FAILED"]]);
    expect(answer.data.parseJobs.edges.map((edge) => edge.node)).toEqual(
      failed.slice(0, 5).map((job) => ({
        id: job.id,
        status: "FAILED",
        errorMessage: job.error_message ?? null,
      })),
    );
    expect(answer.data.parseJobs.pageInfo.hasNextPage).toBe(failed.length > 5);
  });

  it("GraphiQL opens on the example query, and the example query runs", async () => {
    const page = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    // Yoga embeds the default query as a JSON string in the page.
    expect(html).toContain(JSON.stringify(EXAMPLE_QUERY).slice(1, -1));

    const answer = await stack.query<
      { parseJobs: { edges: Array<{ node: { id: string } }> } },
      {
        after: null;
      }
    >(EXAMPLE_QUERY, { after: null });
    expect(answer.errors).toBeUndefined();
    const completed = await restListing(stack.demo, [["status", "COMPLETED"]]);
    expect(answer.data?.parseJobs.edges.map((edge) => edge.node.id)).toEqual(
      completed.slice(0, 10).map((job) => job.id),
    );
  });
});
