import { describe, expect, it } from "vitest";
import { timestampSortKey, toUtcTimestamp } from "../src/date-time.js";

describe("toUtcTimestamp", () => {
  it.each([
    ["2026-05-31T12:00:00Z", "2026-05-31T12:00:00Z"],
    ["2026-05-31T12:00:00.123456+00:00", "2026-05-31T12:00:00.123456Z"],
    ["2026-05-31T12:00:00.100+02:00", "2026-05-31T10:00:00.100Z"],
    ["2026-01-01T01:30:00.5-0230", "2026-01-01T04:00:00.5Z"],
    ["2026-01-01 00:00:00.000001z", "2026-01-01T00:00:00.000001Z"],
    ["2026-03-01T00:30:00+01:00", "2026-02-28T23:30:00Z"],
  ])("%s → %s", (input, output) => {
    expect(toUtcTimestamp(input, "required")).toBe(output);
  });

  it("reads a value without an offset as UTC only when told to", () => {
    expect(toUtcTimestamp("2026-05-31T12:00:00.5", "utc-if-missing")).toBe(
      "2026-05-31T12:00:00.5Z",
    );
    expect(() => toUtcTimestamp("2026-05-31T12:00:00", "required")).toThrow("has no UTC offset");
  });

  it.each([
    "",
    "2026-05-31",
    "2026-02-29T00:00:00Z",
    "2026-05-31T24:00:00Z",
    "2026-05-31T12:00:00+25:00",
    "soon",
  ])("refuses %j", (input) => {
    expect(() => toUtcTimestamp(input, "utc-if-missing")).toThrow();
  });
});

describe("timestampSortKey", () => {
  it("orders by instant, whatever the number of fraction digits", () => {
    const keys = [
      "2026-01-01T00:00:00.5Z",
      "2026-01-01T00:00:00.499999Z",
      "2026-01-01T00:00:00Z",
    ].map(timestampSortKey);
    expect([...keys].sort()).toEqual([keys[2], keys[1], keys[0]]);
  });
});
