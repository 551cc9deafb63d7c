/**
 * Issue 16, "Rate limits per caller": `RATE_LIMIT_PER_MINUTE` requests a minute per JWT subject
 * (auth on) or per client address (auth off, `X-Forwarded-For` read only behind `TRUST_PROXY`
 * proxies). Over it: HTTP 429, `Retry-After`, `RATE_LIMITED` with `extensions.retryAfter`, no
 * upstream call, and no effect on anyone else.
 */
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallersConfig } from "../src/callers/config.js";
import { clientAddress } from "../src/callers/rate-limit.js";
import { loadConfig } from "../src/config.js";
import { type Stack, startStack } from "./support/stack.js";
import { bearer, scopedCallers } from "./support/tokens.js";

const LIMIT = 30;
const QUERY = "{ parseJobs(first: 1) { edges { node { id } } } }";
const LOOKUP = '{ parseJob(id: "pjb-00000000-0000-4000-a000-000000000000") { id } }';

interface Answer {
  status: number;
  retryAfter: string | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  data?: unknown;
}

async function post(
  stack: Stack,
  headers: Record<string, string> = {},
  query: string = QUERY,
): Promise<Answer> {
  const response = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as Omit<Answer, "status" | "retryAfter">;
  return { status: response.status, retryAfter: response.headers.get("retry-after"), ...body };
}

/** Sends `count` requests one after the other and expects each to be answered. */
async function spend(stack: Stack, count: number, headers: Record<string, string> = {}) {
  for (let index = 0; index < count; index++) {
    const answer = await post(stack, headers);
    expect(answer.status, `request ${index + 1} of ${count}`).toBe(200);
    expect(answer.errors).toBeUndefined();
  }
}

/** Expects the refusal the issue describes, and that it cost no upstream call. */
function expectLimited(stack: Stack, answer: Answer, callsBefore: number): void {
  expect(answer.status).toBe(429);
  expect(answer.retryAfter).toMatch(/^\d+$/);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
  const [error] = answer.errors ?? [];
  expect(error?.extensions?.code).toBe("RATE_LIMITED");
  expect(typeof error?.extensions?.retryAfter).toBe("number");
  expect(error?.extensions?.retryAfter).toBe(seconds);
  expect(error?.message).toMatch(/Too many requests/);
  // The status and headers travel as HTTP, not in the body.
  expect(error?.extensions?.http).toBeUndefined();
  expect(stack.demo.listCalls()).toBe(callsBefore);
}

/** HS256 authentication with no project claim, and the limit. */
function limitedCallers(overrides: Partial<CallersConfig> = {}): CallersConfig {
  const callers = scopedCallers({ rateLimitPerMinute: LIMIT, ...overrides });
  return { ...callers, auth: callers.auth && { ...callers.auth, projectClaim: undefined } };
}

describe.each([true, false])("per JWT subject (directPost: %s)", (directPost) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { callers: limitedCallers(), directPost } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  it("refuses subject A's 31st request with 429 and no call, while B goes on", async () => {
    const a = await bearer("subject-a", undefined);
    const b = await bearer("subject-b", undefined);
    // A spends its minute, B asks in between.
    for (let index = 0; index < LIMIT; index++) {
      expect((await post(stack, a)).status).toBe(200);
      if (index % 3 === 0) expect((await post(stack, b)).status).toBe(200);
    }
    const calls = stack.demo.listCalls();
    expectLimited(stack, await post(stack, a), calls);
    // A new token for the same subject is the same caller; any operation counts.
    expectLimited(stack, await post(stack, await bearer("subject-a", undefined)), calls);
    expectLimited(stack, await post(stack, a, LOOKUP), calls);
    // B had 10 of its 30: 20 more pass, the next does not.
    await spend(stack, LIMIT - 10, b);
    expectLimited(stack, await post(stack, b), stack.demo.listCalls());
    // A third subject is untouched by both.
    expect((await post(stack, await bearer("subject-c", undefined))).status).toBe(200);
  });

  it("lets exactly 30 of 40 concurrent requests of one subject through", async () => {
    const headers = await bearer("burst", undefined);
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(stack, headers)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40 - LIMIT);
    // Identical concurrent operations may share calls; refused ones add none.
    expect(stack.demo.listCalls()).toBeLessThanOrEqual(LIMIT);
  });

  it("counts tokens without a subject by client address, not per token", async () => {
    const calls = stack.demo.listCalls();
    for (let index = 0; index < LIMIT; index++) {
      // A new token each time: still one caller.
      expect((await post(stack, await bearer(undefined, undefined))).status).toBe(200);
    }
    const beforeRefusal = stack.demo.listCalls();
    expect(beforeRefusal).toBeGreaterThan(calls);
    expectLimited(stack, await post(stack, await bearer(undefined, undefined)), beforeRefusal);
    // Subjects are their own keys, whatever address they come from.
    expect((await post(stack, await bearer("subject-d", undefined))).status).toBe(200);
  });

  it("does not count refused tokens against anyone", async () => {
    const headers = await bearer("subject-e", undefined);
    for (let index = 0; index < LIMIT + 5; index++) {
      expect((await post(stack, { authorization: "Bearer not.a.token" })).status).toBe(401);
    }
    await spend(stack, LIMIT, headers);
    expectLimited(stack, await post(stack, headers), stack.demo.listCalls());
  });
});

describe("per client address, without authentication", () => {
  describe("TRUST_PROXY off (0)", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        config: {
          callers: { ...loadConfig({}).callers, rateLimitPerMinute: LIMIT, trustProxy: 0 },
        },
      });
    });
    afterAll(() => stack.close());

    it("ignores X-Forwarded-For: a new value each time is still the same caller", async () => {
      for (let index = 0; index < LIMIT; index++) {
        const spoofed = { "x-forwarded-for": `198.51.100.${index + 1}` };
        expect((await post(stack, spoofed)).status).toBe(200);
      }
      const calls = stack.demo.listCalls();
      expectLimited(stack, await post(stack, { "x-forwarded-for": "203.0.113.77" }), calls);
      expectLimited(stack, await post(stack), calls);
      expectLimited(stack, await post(stack, { "x-forwarded-for": "::1, 127.0.0.2" }), calls);
    });
  });

  describe("TRUST_PROXY 1", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        config: {
          callers: { ...loadConfig({}).callers, rateLimitPerMinute: LIMIT, trustProxy: 1 },
        },
      });
    });
    afterAll(() => stack.close());
    beforeEach(() => stack.demo.reset());

    it("keys by the entry the proxy appended: different last entries are different callers", async () => {
      await spend(stack, LIMIT, { "x-forwarded-for": "198.51.100.1" });
      stack.demo.reset();
      // What the client put to the left of the proxy's entry changes nothing.
      for (const header of ["198.51.100.1", "203.0.113.5, 198.51.100.1", "x, , 198.51.100.1"]) {
        expectLimited(stack, await post(stack, { "x-forwarded-for": header }), 0);
      }
      // Another client behind the same proxy is another caller.
      expect((await post(stack, { "x-forwarded-for": "198.51.100.2" })).status).toBe(200);
      expect((await post(stack, { "x-forwarded-for": "198.51.100.1, 2001:db8::7" })).status).toBe(
        200,
      );
    });

    it("counts a missing or malformed entry as the proxy's own address, never a fresh key", async () => {
      // The peer (the proxy, here the test itself) spends its minute without the header.
      await spend(stack, LIMIT);
      stack.demo.reset();
      for (const header of [
        "garbage",
        "198.51.100.300",
        "198.51.100.1.5",
        "1.2.3.4:8080",
        "[2001:db8::1]",
        "unknown",
        " , ",
        "",
        "198.51.100.9, not-an-ip",
      ]) {
        expectLimited(stack, await post(stack, { "x-forwarded-for": header }), 0);
      }
      // A well-formed new address is still its own caller.
      expect((await post(stack, { "x-forwarded-for": "198.51.100.3" })).status).toBe(200);
    });
  });
});

describe("clientAddress", () => {
  const peer = "10.0.0.7";
  const req = { socket: { remoteAddress: peer } } as unknown as IncomingMessage;
  const request = (forwarded?: string) =>
    new Request("http://gateway.test/graphql", {
      headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
    });

  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress(req, request(), 0)).toBe(peer);
    expect(clientAddress(req, request("198.51.100.1"), 0)).toBe(peer);
    expect(clientAddress(req, request("198.51.100.1, 203.0.113.2"), 0)).toBe(peer);
  });

  it("takes the entry the outermost trusted proxy wrote", () => {
    expect(clientAddress(req, request("198.51.100.1"), 1)).toBe("198.51.100.1");
    expect(clientAddress(req, request("6.6.6.6, 198.51.100.1"), 1)).toBe("198.51.100.1");
    expect(clientAddress(req, request("6.6.6.6,198.51.100.1 "), 1)).toBe("198.51.100.1");
    expect(clientAddress(req, request("6.6.6.6,, 198.51.100.1"), 1)).toBe("198.51.100.1");
    expect(clientAddress(req, request("2001:db8::1"), 1)).toBe("2001:db8::1");
    // Two proxies: the client as the first saw it, then the first proxy as the second saw it.
    expect(clientAddress(req, request("6.6.6.6, 198.51.100.1, 10.1.1.1"), 2)).toBe("198.51.100.1");
    // Several headers are one list.
    const split = new Request("http://gateway.test/graphql");
    split.headers.append("x-forwarded-for", "6.6.6.6");
    split.headers.append("x-forwarded-for", "198.51.100.4");
    expect(clientAddress(req, split, 1)).toBe("198.51.100.4");
  });

  it("falls back to the peer when the trusted entry is missing or not an address", () => {
    for (const header of [
      undefined,
      "",
      " , ",
      "garbage",
      "198.51.100.1, garbage",
      "198.51.100.256",
      "1.2.3.4:8080",
      "[2001:db8::1]",
      "198.51.100.1 203.0.113.1",
    ]) {
      expect(clientAddress(req, request(header), 1), String(header)).toBe(peer);
    }
    // Fewer entries than trusted proxies: the header cannot name the client.
    expect(clientAddress(req, request("198.51.100.1"), 2)).toBe(peer);
    expect(clientAddress(req, request("198.51.100.1, 10.1.1.1"), 3)).toBe(peer);
  });

  it("names a request without a socket 'unknown', one key for all of them", () => {
    expect(clientAddress(undefined, request(), 0)).toBe("unknown");
    expect(clientAddress(undefined, request("garbage"), 1)).toBe("unknown");
    expect(clientAddress(undefined, request("198.51.100.1"), 1)).toBe("198.51.100.1");
  });
});
