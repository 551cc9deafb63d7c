import { describe, expect, it } from "vitest";
import { readableDetail } from "../src/upstream/errors.js";
import { NOTHING_TO_REDACT, redactorFor, WITHHELD } from "../src/upstream/redact.js";
import { retryAfterMs } from "../src/upstream/retry.js";

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after": "3" }, 3000],
    [{ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, 5000],
    [{ "retry-after-ms": "10", "retry-after": "3" }, 10],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ])("%j → %s", (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});

describe("readableDetail", () => {
  it("reads FastAPI's string and list forms and plain text", () => {
    expect(readableDetail('{"detail":"Invalid API key"}', NOTHING_TO_REDACT)).toBe(
      "Invalid API key",
    );
    expect(
      readableDetail(
        '{"detail":[{"loc":["query","page_size"],"msg":"too big"},{"loc":["body"],"msg":"missing"}]}',
        NOTHING_TO_REDACT,
      ),
    ).toBe("page_size: too big; body: missing");
    expect(readableDetail("  Bad\n gateway ", NOTHING_TO_REDACT)).toBe("Bad gateway");
    expect(readableDetail("x".repeat(600), NOTHING_TO_REDACT)).toHaveLength(501);
  });
});

describe("redactorFor", () => {
  const { redact, scrub, mayQuote } = redactorFor("Bearer sk-test/ü+1");

  it.each([
    ["as itself", "key sk-test/ü+1."],
    ["in another case", "key SK-TEST/Ü+1."],
    ["JSON-escaped, in any hex case", "key sk\\u002dtest\\/\\u00FC\\u002B1."],
    ["percent-encoded, byte by byte", "key sk%2Dtest%2f%C3%BC%2B1."],
    ["as HTML references", "key sk&#45;test&#x2F;&#252;&#0043;1."],
    ["in a mix of all of them", "key s&#x6b;%2dtest\\/%c3%bc\\u002b1."],
  ])("takes the key out written %s", (_form, text) => {
    expect(redact(text)).toBe("key [redacted].");
  });

  it("leaves other text alone, and the Bearer prefix of an echoed header", () => {
    expect(redact("Bearer sk-test/ü+1 and sk-test/ü")).toBe("Bearer [redacted] and sk-test/ü");
    expect(redactorFor("bearer   abc").redact("abc")).toBe("abc"); // too short to look for
  });

  it("finds keys outside the BMP, JSON-escaped as surrogate pairs", () => {
    const astral = redactorFor("Bearer key-😀-9");
    expect(astral.redact("a key-\\ud83d\\ude00-9 b")).toBe("a [redacted] b");
    expect(astral.redact("a key-%F0%9F%98%80-9 b")).toBe("a [redacted] b");
  });

  it("withholds a text whose letters and digits still spell the key out", () => {
    expect(scrub("loc sk-te: st/ü+1 is bad")).toBe(WITHHELD);
    expect(scrub("s k - t e s t / ü + 1")).toBe(WITHHELD);
    expect(scrub("sk-test is not it")).toBe("sk-test is not it");
  });

  it("tells a body that cannot hold the key from one that may, in one scan", () => {
    expect(mayQuote('{"items":[{"id":"pjb-1","name":"a.pdf"}]}')).toBe(false);
    expect(mayQuote('{"items":[{"id":"pjb-1","name":"TEST.pdf"}]}')).toBe(true);
    // An escaped letter could be part of the key in any form: searched field by field.
    expect(mayQuote('{"name":"\\u0074"}')).toBe(true);
  });
});
