import { describe, expect, it } from "vitest";
import { decodeCursor, END, encodeCursor } from "../src/cursor.js";
import { toUtcTimestamp } from "../src/date-time.js";

/**
 * Cursors and timestamps sit on every edge of every page, and their code has changed for speed
 * and back. These tables pin what they produce: cursors already in clients' hands must stay
 * valid, and every timestamp must normalise (or be refused) exactly as before. The version 2
 * cursors were checked against an independent implementation of the format (sha256, murmur3's
 * finaliser, base64url) in Python.
 */
describe("cursor encoding stays byte-for-byte the same", () => {
  const issued: Array<[Parameters<typeof encodeCursor>[0], string, string]> = [
    [
      { token: "tok-1", skip: 3 },
      '["a",null]',
      "WzIsInJyc0VkTVYybGJoVXB3MksiLCJ0b2stMSIsMywicWk0c3pnIl0",
    ],
    [{ token: null, skip: 0 }, "k", "WzIsImdsVERLYWtvVVBiVk9kMDMiLG51bGwsMCwiaGcwcXZ6Il0"],
    [END, "k", "WzIsImdsVERLYWtvVVBiVk9kMDMiLG51bGwsLTEsInNueTF2YSJd"],
  ];
  for (const [position, filterKey, cursor] of issued) {
    it(`encodes ${JSON.stringify(position)} as before, and decodes it back`, () => {
      expect(encodeCursor(position, filterKey)).toBe(cursor);
      expect(decodeCursor(cursor, filterKey)).toEqual(position);
      // The same key twice in a row, then another, must not mix up cached hashes.
      expect(encodeCursor(position, `${filterKey}!`)).not.toBe(cursor);
      expect(encodeCursor(position, filterKey)).toBe(cursor);
    });
  }
});

describe("cursors the hand-written encoder issued, padded with spaces, are still read", () => {
  // Padded to whole base64 groups: two spaces, then one (the token's ö is two bytes).
  const padded: Array<[Parameters<typeof encodeCursor>[0], string]> = [
    [{ token: "tok-12", skip: 17 }, "WzIsImdsVERLYWtvVVBiVk9kMDMiLCJ0b2stMTIiLCAgMTcsIjJsYzRhMyJd"],
    [{ token: "tök", skip: 2 }, "WzIsImdsVERLYWtvVVBiVk9kMDMiLCJ0w7ZrIiwgMiwid2Y5YTlvIl0"],
  ];
  for (const [position, cursor] of padded) {
    it(`decodes ${JSON.stringify(position)}, and today's cursor for it means the same`, () => {
      expect(decodeCursor(cursor, "k")).toEqual(position);
      const today = encodeCursor(position, "k");
      expect(today).not.toBe(cursor);
      expect(decodeCursor(today, "k")).toEqual(position);
    });
  }
});

describe("version 1 cursors, never issued outside development, are refused", () => {
  it("refuses one with the usual message and no upstream call to make", () => {
    const v1 = "WzEsInJyc0VkTVYybGJoVXB3MksiLCJ0b2stMSIsMywiZ0JWLVA4eVFmclA2Il0";
    expect(() => decodeCursor(v1, '["a",null]')).toThrow("not a cursor this gateway issued");
  });
});

describe("toUtcTimestamp normalises and refuses exactly as before", () => {
  const table: Array<[string, "utc-if-missing" | "required", string]> = [
    ["2026-06-01T11:40:57.968126+00:00", "utc-if-missing", "2026-06-01T11:40:57.968126Z"],
    ["2026-06-01T11:40:57.968Z", "utc-if-missing", "2026-06-01T11:40:57.968Z"],
    ["2026-06-01t11:40:57z", "utc-if-missing", "2026-06-01T11:40:57Z"],
    ["2026-06-01 11:40:57", "utc-if-missing", "2026-06-01T11:40:57Z"],
    ["2024-02-29T23:59:59.5+05:30", "utc-if-missing", "2024-02-29T18:29:59.5Z"],
    ["2024-03-01T00:10:00-00:30", "utc-if-missing", "2024-03-01T00:40:00Z"],
    [
      "2025-02-29T00:00:00Z",
      "utc-if-missing",
      'ERR "2025-02-29T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T24:00:00Z",
      "utc-if-missing",
      'ERR "2025-01-01T24:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T23:60:00Z",
      "utc-if-missing",
      'ERR "2025-01-01T23:60:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T23:59:60Z",
      "utc-if-missing",
      'ERR "2025-01-01T23:59:60Z" is not a valid calendar date and time',
    ],
    [
      "0050-01-01T00:00:00Z",
      "utc-if-missing",
      'ERR "0050-01-01T00:00:00Z" is not a valid calendar date and time',
    ],
    ["1000-01-01T00:00:00+01:00", "utc-if-missing", "0999-12-31T23:00:00Z"],
    [
      "9999-12-31T23:59:59-01:00",
      "utc-if-missing",
      'ERR "9999-12-31T23:59:59-01:00" is outside the years 0000 to 9999',
    ],
    [
      "2025-04-31T00:00:00Z",
      "utc-if-missing",
      'ERR "2025-04-31T00:00:00Z" is not a valid calendar date and time',
    ],
    ["2025-12-31T10:00:00,123456789Z", "utc-if-missing", "2025-12-31T10:00:00.123456789Z"],
    ["2025-01-01T10:00:00+0130", "utc-if-missing", "2025-01-01T08:30:00Z"],
    [
      "2025-01-01T10:00:00+24:00",
      "utc-if-missing",
      'ERR "2025-01-01T10:00:00+24:00" has an invalid UTC offset',
    ],
    [
      "2025-01-01T10:00:00+00:60",
      "utc-if-missing",
      'ERR "2025-01-01T10:00:00+00:60" has an invalid UTC offset',
    ],
    [
      "2025-00-10T00:00:00Z",
      "utc-if-missing",
      'ERR "2025-00-10T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-13-10T00:00:00Z",
      "utc-if-missing",
      'ERR "2025-13-10T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-00T00:00:00Z",
      "utc-if-missing",
      'ERR "2025-01-00T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "1900-02-29T00:00:00Z",
      "utc-if-missing",
      'ERR "1900-02-29T00:00:00Z" is not a valid calendar date and time',
    ],
    ["2000-02-29T00:00:00Z", "utc-if-missing", "2000-02-29T00:00:00Z"],
    ["2025-06-01T12:00:00", "utc-if-missing", "2025-06-01T12:00:00Z"],
    ["2026-06-01T11:40:57.968126+00:00", "required", "2026-06-01T11:40:57.968126Z"],
    ["2026-06-01T11:40:57.968Z", "required", "2026-06-01T11:40:57.968Z"],
    ["2026-06-01t11:40:57z", "required", "2026-06-01T11:40:57Z"],
    [
      "2026-06-01 11:40:57",
      "required",
      'ERR "2026-06-01 11:40:57" has no UTC offset: add Z or an offset such as +02:00',
    ],
    ["2024-02-29T23:59:59.5+05:30", "required", "2024-02-29T18:29:59.5Z"],
    ["2024-03-01T00:10:00-00:30", "required", "2024-03-01T00:40:00Z"],
    [
      "2025-02-29T00:00:00Z",
      "required",
      'ERR "2025-02-29T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T24:00:00Z",
      "required",
      'ERR "2025-01-01T24:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T23:60:00Z",
      "required",
      'ERR "2025-01-01T23:60:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-01T23:59:60Z",
      "required",
      'ERR "2025-01-01T23:59:60Z" is not a valid calendar date and time',
    ],
    [
      "0050-01-01T00:00:00Z",
      "required",
      'ERR "0050-01-01T00:00:00Z" is not a valid calendar date and time',
    ],
    ["1000-01-01T00:00:00+01:00", "required", "0999-12-31T23:00:00Z"],
    [
      "9999-12-31T23:59:59-01:00",
      "required",
      'ERR "9999-12-31T23:59:59-01:00" is outside the years 0000 to 9999',
    ],
    [
      "2025-04-31T00:00:00Z",
      "required",
      'ERR "2025-04-31T00:00:00Z" is not a valid calendar date and time',
    ],
    ["2025-12-31T10:00:00,123456789Z", "required", "2025-12-31T10:00:00.123456789Z"],
    ["2025-01-01T10:00:00+0130", "required", "2025-01-01T08:30:00Z"],
    [
      "2025-01-01T10:00:00+24:00",
      "required",
      'ERR "2025-01-01T10:00:00+24:00" has an invalid UTC offset',
    ],
    [
      "2025-01-01T10:00:00+00:60",
      "required",
      'ERR "2025-01-01T10:00:00+00:60" has an invalid UTC offset',
    ],
    [
      "2025-00-10T00:00:00Z",
      "required",
      'ERR "2025-00-10T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-13-10T00:00:00Z",
      "required",
      'ERR "2025-13-10T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "2025-01-00T00:00:00Z",
      "required",
      'ERR "2025-01-00T00:00:00Z" is not a valid calendar date and time',
    ],
    [
      "1900-02-29T00:00:00Z",
      "required",
      'ERR "1900-02-29T00:00:00Z" is not a valid calendar date and time',
    ],
    ["2000-02-29T00:00:00Z", "required", "2000-02-29T00:00:00Z"],
    ["2025-01-01T10:00:00-00:00", "required", "2025-01-01T10:00:00Z"],
    ["2025-01-01T10:00:00.000+0000", "required", "2025-01-01T10:00:00.000Z"],
    ["2025-01-01T10:00:00.1234567890Z", "required", "ERR is not an ISO 8601 date-time"],
    ["2025-01-01T10:00:00.Z", "utc-if-missing", "ERR is not an ISO 8601 date-time"],
    ["20a5-01-01T10:00:00Z", "utc-if-missing", "ERR is not an ISO 8601 date-time"],
    ["2025-01-01T10:00:00+00:00junk", "utc-if-missing", "ERR is not an ISO 8601 date-time"],
    [
      "2025-06-01T12:00:00",
      "required",
      'ERR "2025-06-01T12:00:00" has no UTC offset: add Z or an offset such as +02:00',
    ],
  ];
  for (const [input, offset, expected] of table) {
    it(`${input} (${offset}) → ${expected}`, () => {
      if (expected.startsWith("ERR ")) {
        expect(() => toUtcTimestamp(input, offset)).toThrow(expected.slice(4));
      } else {
        expect(toUtcTimestamp(input, offset)).toBe(expected);
      }
    });
  }
});
