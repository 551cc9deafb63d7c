import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateJobs } from "../src/demo-upstream/data.js";
import { type Stack, startStack } from "./support/stack.js";

// An upstream (or a proxy before it) that echoes the credential must never hand it to a client
// or a log. The keys hold characters JSON, URLs and HTML escape, so every echo form differs.
const KEY = "sk-test/ü+1";
const CALLER_KEY = "ck-caller/é&2";

/** Every character that is not a letter or digit as `\uXXXX`, as some JSON encoders write it. */
function jsonEscaped(key: string): string {
  return key.replace(/[^a-z0-9]/gi, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Every character that is not a letter or digit as an HTML decimal character reference. */
function htmlEscaped(key: string): string {
  return key.replace(/[^a-z0-9]/gi, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The text with every escape a reader could undo undone (JSON, however often escaped, HTML
 * references, percent-encoding): the key must not be in what a client could decode.
 */
function decoded(text: string): string {
  return text
    .replace(/\\+u([0-9a-f]{4})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    )
    .replace(/\\+\//g, "/")
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#(\d+);?/g, (_, decimal: string) => String.fromCodePoint(Number(decimal)))
    .replace(/&amp;/gi, "&")
    .replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
}

/** Only the letters and digits: what a reader reassembles a key split across fields from. */
function skeleton(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
}

function expectNoKey(text: string, key: string = KEY): void {
  const plain = decoded(text);
  expect(plain.toLowerCase(), plain).not.toContain(key.toLowerCase());
  expect(skeleton(plain), plain).not.toContain(skeleton(key));
}

const PAGE = "query Page { parseJobs(first: 5) { edges { node { id name status } } } }";

describe("the configured key, echoed by the upstream in any form", () => {
  const lines: string[] = [];
  let stack: Stack;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    stack = await startStack({
      demo: { tenants: { [KEY]: generateJobs(1, 20) } },
      config: { apiKey: KEY, maxRetries: 0 },
      logger: pino({ level: "trace" }, sink),
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.demo.reset());

  /** Answers `status` with `body` once, and reads the error the client gets. */
  async function errorFor(status: number, body: string) {
    stack.demo.inject({ status, body });
    const answer = await stack.query(PAGE);
    expect(stack.demo.requests[0]?.authorization).toBe(`Bearer ${KEY}`);
    expectNoKey(JSON.stringify(answer));
    return answer.errors?.[0];
  }

  it.each([
    ["JSON-escaped", `{"detail": "bad key sk\\u002dtest\\/\\u00FC\\u002b1"}`],
    ["all escaped", `{"detail": "bad key ${jsonEscaped(KEY)}"}`],
    ["percent-encoded", `{"detail": "bad header Bearer%20sk%2Dtest%2f%c3%bc%2B1"}`],
    [
      "HTML-escaped",
      `{"detail": "bad key ${htmlEscaped(KEY)} (&#x73;k&#x2D;test&#x2f;&#xFC;&#x2B;1)"}`,
    ],
    ["in upper case", `{"detail": "BAD KEY ${KEY.toUpperCase()}"}`],
    ["as plain text", `<html>Bearer ${encodeURIComponent(KEY)}</html>`],
  ])("a 4xx detail with the key %s shows the rest of the message", async (_form, body) => {
    const error = await errorFor(401, body);
    expect(error?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(error?.message).toMatch(/^LlamaCloud did not accept the credentials: .*\[redacted\]/);
  });

  it("a 422 list: the key in loc and msg is redacted, one split across fields withholds it", async () => {
    const quoting = await errorFor(
      422,
      JSON.stringify({
        detail: [
          { loc: ["header", KEY], msg: `Invalid ${KEY}`, type: "x", input: `Bearer ${KEY}` },
        ],
      }),
    );
    expect(quoting?.message).toBe(
      "LlamaCloud rejected the request: header.[redacted]: Invalid [redacted]",
    );
    const split = await errorFor(
      422,
      JSON.stringify({
        detail: [
          { loc: ["header", "sk-te"], msg: "st/ü+1 is not a key", type: "x", input: `${KEY}` },
        ],
      }),
    );
    expect(split?.message).toBe(
      "LlamaCloud rejected the request: [withheld: it quoted the credential]",
    );
    const acrossItems = await errorFor(
      422,
      JSON.stringify({
        detail: [
          { loc: ["a"], msg: "sk-te" },
          { loc: ["st"], msg: "ü+1" },
        ],
      }),
    );
    expect(acrossItems?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("a 5xx after the retries", async () => {
    const retrying = await startStack({
      demo: { tenants: { [KEY]: [] } },
      config: { apiKey: KEY, maxRetries: 2 },
    });
    try {
      retrying.demo.inject({
        status: 503,
        body: `{"detail": "upstream down for key sk\\u002dtest\\/\\u00fc+1 (correlation id 7)"}`,
        times: 3,
      });
      const answer = await retrying.query(PAGE);
      expect(retrying.demo.listCalls()).toBe(3);
      expectNoKey(JSON.stringify(answer));
      expect(answer.errors?.[0]?.message).toBe(
        "LlamaCloud is unavailable (HTTP 503): upstream down for key [redacted] (correlation id 7)",
      );
    } finally {
      await retrying.close();
    }
  });

  it.each([
    ["the key", `${KEY} is not JSON`],
    ["the key JSON-escaped", `"sk\\u002dtest\\/\\u00fc+1 and no closing quote`],
    ["the key after 35 characters", `${"x".repeat(35)}${KEY}`],
  ])("a 200 whose body is not JSON, starting with %s", async (_name, body) => {
    const error = await errorFor(200, body);
    expect(error?.extensions?.code).toBe("UPSTREAM_BAD_RESPONSE");
  });

  it("a 200 page whose jobs quote the key: an id is unreadable, other fields redacted", async () => {
    const item = { project_id: "prj-1", status: "COMPLETED" };
    stack.demo.inject({
      status: 200,
      // Written by hand: the escapes are in the JSON text, as an upstream's encoder might write.
      body: `{"items": [
        {"id": "sk\\u002dtest\\/\\u00fc+1", "project_id": "prj-1", "status": "COMPLETED"},
        {"id": "pjb-2", "project_id": "prj-1", "status": "${jsonEscaped(KEY)}"},
        {"id": "pjb-3", "project_id": "prj-1", "status": "COMPLETED", "name": "${htmlEscaped(KEY)}.pdf"},
        {"id": {"key": "${KEY}"}, "project_id": "prj-1", "status": "COMPLETED"},
        ${JSON.stringify({ id: "pjb-5", ...item })}
      ]}`,
    });
    const answer = await stack.query<
      { parseJobs: { edges: Array<{ node: { id: string; name: string | null } } | null> } },
      undefined
    >(PAGE);
    expectNoKey(JSON.stringify(answer));
    const edges = answer.data?.parseJobs.edges ?? [];
    expect(edges.map((edge) => edge?.node.id ?? null)).toEqual([
      null,
      null,
      "pjb-3",
      null,
      "pjb-5",
    ]);
    expect(edges[2]?.node.name).toBe("[redacted].pdf");
    expect(answer.errors?.map((error) => error.message)).toEqual([
      "LlamaCloud sent an unreadable job: item 0 of the upstream page has an id that quotes the credential",
      'LlamaCloud sent job "pjb-2" with status "[redacted]", which is none of PENDING, RUNNING, COMPLETED, FAILED, CANCELLED',
      'LlamaCloud sent an unreadable job: item 3 of the upstream page has no usable id (got {"key":"[redacted]"})',
    ]);
  });

  it("logged nothing on any of the paths above that holds the key", () => {
    // Upstream attempts, access lines, Yoga's own lines: everything, at the most verbose level.
    expect(lines.join("\n")).toContain('"msg":"upstream call"');
    expectNoKey(lines.join("\n"));
  });
});

describe("the caller's own key, echoed by the upstream", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      demo: { tenants: { [CALLER_KEY]: generateJobs(2, 5) } },
      config: { apiKey: undefined, maxRetries: 0 },
    });
  });
  afterAll(() => stack.close());

  it("is redacted like the configured one", async () => {
    stack.demo.inject({
      status: 403,
      body: `{"detail": "key ck\\u002Dcaller\\/\\u00e9\\u0026\\u0032 may not list jobs"}`,
    });
    const answer = await stack.query(PAGE, undefined, { authorization: `Bearer ${CALLER_KEY}` });
    expect(stack.demo.requests[0]?.authorization).toBe(`Bearer ${CALLER_KEY}`);
    expectNoKey(JSON.stringify(answer), CALLER_KEY);
    expect(answer.errors?.[0]?.message).toBe(
      "LlamaCloud refused access: key [redacted] may not list jobs",
    );
  });
});
