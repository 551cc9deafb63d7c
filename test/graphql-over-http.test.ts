import { type AuditResult, serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./support/stack.js";

// The audits are listed before the server exists, so their URL is resolved lazily per audit.
let stack: Stack | undefined;
const audits = serverAudits({
  url: () => {
    if (!stack) throw new Error("the gateway is not started yet");
    return stack.gatewayUrl;
  },
});

/** Explains a failed audit with what the server sent, so a regression is readable in CI output. */
async function describeFailure(result: AuditResult): Promise<string> {
  if (result.status === "ok") return "ok";
  const body = await result.response.text().catch(() => "<unreadable body>");
  return `${result.status}: ${result.reason}\n  got HTTP ${result.response.status}: ${body.slice(0, 500)}`;
}

describe("GraphQL over HTTP (graphql-http server audits against the running gateway)", () => {
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it("has audits of every requirement level to run", () => {
    const levels = new Set(audits.map((audit) => audit.name.split(" ")[0]));
    expect([...levels].sort()).toEqual(["MAY", "MUST", "SHOULD"]);
    expect(audits.length).toBeGreaterThan(50);
  });

  // Every audit, MAY included, passes today; a MAY that stops passing must be argued in the README.
  it.each(audits.map((audit) => [audit.name, audit] as const))("%s", async (_name, audit) => {
    const result = await audit.fn();
    expect(result.status, await describeFailure(result)).toBe("ok");
  });
});
