import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./support/stack.js";

/** A body sent with chunked transfer encoding: no Content-Length, so it must be counted. */
function chunked(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function post(stack: Stack, body: string | ReadableStream<Uint8Array>) {
  const response = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body,
    // Needed by fetch for a streamed body.
    duplex: "half",
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("request body limit", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it("answers an ordinary chunked request", async () => {
    const query = JSON.stringify({ query: "{ parseJobs(first: 2) { edges { node { id } } } }" });
    const answer = await post(stack, chunked([query.slice(0, 10), query.slice(10)]));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ data: { parseJobs: { edges: [{}, {}] } } });
  });

  it("refuses a body whose Content-Length is over the limit, before any upstream call", async () => {
    stack.demo.reset();
    const padding = " ".repeat(stack.config.maxBodyBytes);
    const answer = await post(stack, `{"query": "{ __typename }"${padding}}`);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      errors: [{ extensions: { code: "REQUEST_TOO_LARGE" } }],
    });
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("refuses a chunked body once it passes the limit", async () => {
    const kilobytes = " ".repeat(10_000);
    const parts = ['{"query": "{ parseJobs { totalCount } }"'];
    for (let i = 0; i <= stack.config.maxBodyBytes / kilobytes.length; i++) parts.push(kilobytes);
    parts.push("}");
    stack.demo.reset();
    const answer = await post(stack, chunked(parts));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      errors: [{ extensions: { code: "REQUEST_TOO_LARGE" } }],
    });
    expect(stack.demo.listCalls()).toBe(0);
  });
});
