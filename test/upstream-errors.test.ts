import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IdsQuery } from "./support/operations.js";
import { type Stack, startStack } from "./support/stack.js";

const KEY = "llx-very-secret-key-0123456789";

describe("each upstream failure maps onto its code (no retries)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { [KEY]: [] } },
      config: { apiKey: KEY, maxRetries: 0 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it.each([
    [
      400,
      { detail: "Invalid page_token" },
      "BAD_USER_INPUT",
      "LlamaCloud rejected the request: Invalid page_token",
    ],
    [
      422,
      {
        detail: [
          {
            loc: ["query", "page_size"],
            msg: "Input should be less than or equal to 50",
            type: "x",
            input: "99",
          },
          { loc: ["query", "status"], msg: "Input should be 'PENDING'", type: "y", input: "X" },
        ],
      },
      "BAD_USER_INPUT",
      "LlamaCloud rejected the request: page_size: Input should be less than or equal to 50; status: Input should be 'PENDING'",
    ],
    [
      413,
      { detail: "Request too large" },
      "BAD_USER_INPUT",
      "LlamaCloud rejected the request: Request too large",
    ],
    [
      401,
      { detail: "Invalid API key" },
      "UNAUTHENTICATED",
      "LlamaCloud did not accept the credentials: Invalid API key",
    ],
    [
      402,
      { detail: "Out of credits" },
      "PAYMENT_REQUIRED",
      "LlamaCloud requires payment: Out of credits",
    ],
    [
      403,
      { detail: "Not your project" },
      "FORBIDDEN",
      "LlamaCloud refused access: Not your project",
    ],
    [404, { detail: "Not Found" }, "NOT_FOUND", "LlamaCloud found nothing there: Not Found"],
    [418, { detail: "teapot" }, "UPSTREAM_ERROR", "LlamaCloud answered HTTP 418: teapot"],
    [
      500,
      { detail: "Internal error, correlation id 1234" },
      "UPSTREAM_UNAVAILABLE",
      "LlamaCloud is unavailable (HTTP 500): Internal error, correlation id 1234",
    ],
    [
      502,
      "<html>Bad gateway</html>",
      "UPSTREAM_UNAVAILABLE",
      "LlamaCloud is unavailable (HTTP 502): <html>Bad gateway</html>",
    ],
  ])("HTTP %i → %s", async (status, body, code, message) => {
    stack.demo.inject({ status, body: typeof body === "string" ? body : JSON.stringify(body) });
    const answer = await stack.query(IdsQuery, {});
    expect(answer.data).toBeNull();
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: String(message),
        extensions: { code, upstream: { status } },
      }),
    ]);
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("429 → RATE_LIMITED with the retryAfter the upstream gave", async () => {
    stack.demo.inject({
      status: 429,
      body: '{"detail":"Too many requests"}',
      headers: { "retry-after": "7" },
    });
    const answer = await stack.query(IdsQuery, {});
    expect(answer.errors?.[0]?.extensions).toEqual({
      code: "RATE_LIMITED",
      retryAfter: 7,
      upstream: { status: 429 },
    });
  });

  it.each([
    ["not JSON", "<html>maintenance</html>"],
    ["no items", '{"results": []}'],
    ["a token of the wrong type", '{"items": [], "next_page_token": 5}'],
  ])("a 2xx body with %s → UPSTREAM_BAD_RESPONSE", async (_name, body) => {
    stack.demo.inject({ status: 200, body });
    const answer = await stack.query(IdsQuery, {});
    expect(answer.errors?.[0]?.extensions).toEqual({
      code: "UPSTREAM_BAD_RESPONSE",
      upstream: { status: 200 },
    });
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("never shows the key, even when the upstream echoes it", async () => {
    stack.demo.inject({
      status: 400,
      body: JSON.stringify({ detail: `bad header Bearer ${KEY}` }),
    });
    stack.demo.inject({ status: 200, body: `Bearer ${KEY} is not JSON` });
    const first = await stack.query(IdsQuery, {});
    const second = await stack.query(IdsQuery, {});
    for (const answer of [first, second]) {
      expect(JSON.stringify(answer)).not.toContain(KEY);
      expect(JSON.stringify(answer)).toContain("[redacted]");
    }
    // ...while the upstream did receive it, in the Authorization header only.
    expect(stack.demo.requests[0]?.authorization).toBe(`Bearer ${KEY}`);
    expect(stack.demo.requests[0]?.query.toString()).not.toContain(KEY);
  });
});

describe("retries", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { maxRetries: 2, timeoutMs: 300 } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it.each([503, 500, 429, 408, 409])("retries HTTP %i and succeeds", async (status) => {
    stack.demo.inject({ status, times: 2 });
    const answer = await stack.query(IdsQuery, { first: 3 });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.parseJobs.edges).toHaveLength(3);
    expect(stack.demo.listCalls()).toBe(3);
  });

  it("gives up after the configured retries with UPSTREAM_UNAVAILABLE", async () => {
    stack.demo.inject({ status: 503, times: 5 });
    const answer = await stack.query(IdsQuery, {});
    expect(answer.errors?.[0]?.extensions).toEqual({
      code: "UPSTREAM_UNAVAILABLE",
      upstream: { status: 503 },
    });
    expect(stack.demo.listCalls()).toBe(3);
  });

  it("does not retry a 400", async () => {
    stack.demo.inject({ status: 400 });
    await stack.query(IdsQuery, {});
    expect(stack.demo.listCalls()).toBe(1);
  });

  it("retries a dropped connection", async () => {
    stack.demo.inject({ hangUp: true });
    const answer = await stack.query(IdsQuery, { first: 2 });
    expect(answer.data?.parseJobs.edges).toHaveLength(2);
    expect(stack.demo.listCalls()).toBe(2);
  });

  it("times out each attempt and then reports UPSTREAM_UNAVAILABLE", async () => {
    stack.demo.inject({ delayMs: 1500, times: 3 });
    const answer = await stack.query(IdsQuery, {});
    expect(answer.errors?.[0]).toMatchObject({
      message: "LlamaCloud could not be reached: no answer within 300 ms (after 3 attempts)",
      extensions: { code: "UPSTREAM_UNAVAILABLE" },
    });
    expect(stack.demo.listCalls()).toBe(3);
  });

  it("honours retry-after-ms", async () => {
    stack.demo.inject({ status: 429, headers: { "retry-after-ms": "30" } });
    const answer = await stack.query(IdsQuery, { first: 1 });
    expect(answer.data?.parseJobs.edges).toHaveLength(1);
    expect(stack.demo.listCalls()).toBe(2);
  });
});

describe("credentials", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { "server-key": [], "caller-key": [] } },
      config: { apiKey: undefined },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("forwards the caller's bearer header as it is", async () => {
    const answer = await stack.query(IdsQuery, {}, { authorization: "Bearer caller-key" });
    expect(answer.errors).toBeUndefined();
    expect(stack.demo.requests[0]?.authorization).toBe("Bearer caller-key");
  });

  it("without a header and without a configured key: UNAUTHENTICATED, no call", async () => {
    const answer = await stack.query(IdsQuery, {});
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(answer.errors?.[0]?.message).toContain("LLAMA_CLOUD_API_KEY");
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("refuses a header that is not a bearer token, with no call", async () => {
    const answer = await stack.query(IdsQuery, {}, { authorization: "Basic dXNlcjpwYXNz" });
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(answer)).not.toContain("dXNlcjpwYXNz");
    expect(stack.demo.listCalls()).toBe(0);
  });

  it("falls back to the configured key when the caller sends none", async () => {
    const withKey = await startStack({
      demo: { tenants: { "server-key": [] } },
      config: { apiKey: "server-key" },
    });
    try {
      const answer = await withKey.query(IdsQuery, {});
      expect(answer.errors).toBeUndefined();
      expect(withKey.demo.requests[0]?.authorization).toBe("Bearer server-key");
      // A caller's own header still wins over the configured key.
      await withKey.query(IdsQuery, {}, { authorization: "Bearer someone-else" });
      expect(withKey.demo.requests[1]?.authorization).toBe("Bearer someone-else");
    } finally {
      await withKey.close();
    }
  });
});
