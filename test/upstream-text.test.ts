import { describe, expect, it } from "vitest";
import { readableDetail } from "../src/upstream/errors.js";
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
    expect(readableDetail('{"detail":"Invalid API key"}')).toBe("Invalid API key");
    expect(
      readableDetail(
        '{"detail":[{"loc":["query","page_size"],"msg":"too big"},{"loc":["body"],"msg":"missing"}]}',
      ),
    ).toBe("page_size: too big; body: missing");
    expect(readableDetail("  Bad\n gateway ")).toBe("Bad gateway");
    expect(readableDetail("x".repeat(600))).toHaveLength(501);
  });
});
