import { describe, expect, it } from "vitest";
import { cursorEncoder, decodeCursor, END, encodeCursor } from "../src/cursor.js";

describe("cursor codec", () => {
  it("round-trips positions under the same filter", () => {
    for (const position of [
      { token: null, skip: 0 },
      { token: "tok/+=", skip: 17 },
      END,
    ] as const) {
      expect(decodeCursor(encodeCursor(position, "status=FAILED"), "status=FAILED")).toEqual(
        position,
      );
    }
  });

  it("round-trips page tokens of every length, non-ASCII and kilobytes long included", () => {
    const encode = cursorEncoder("");
    for (const token of ["a", "ab", "abc", "abcd", 'ünï"\\/', "x".repeat(900), "y".repeat(3000)]) {
      for (const skip of [0, 1, 9, 10, 99, 100, 999]) {
        const cursor = encode({ token, skip });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor, "")).toEqual({ token, skip });
        // A fresh encoder agrees: nothing of one cursor leaks into the next.
        expect(encodeCursor({ token, skip }, "")).toBe(cursor);
      }
    }
  });

  it("is deterministic: the same position gives the same cursor in every process", () => {
    expect(encodeCursor({ token: "t", skip: 3 }, "")).toBe(
      encodeCursor({ token: "t", skip: 3 }, ""),
    );
  });

  it("refuses a cursor from another filter", () => {
    const cursor = encodeCursor({ token: "t", skip: 3 }, "status=FAILED");
    expect(() => decodeCursor(cursor, "status=RUNNING")).toThrow("different filter");
  });

  it("refuses edited fields, even with valid JSON", () => {
    const cursor = encodeCursor({ token: "t", skip: 3 }, "");
    const fields = JSON.parse(Buffer.from(cursor, "base64url").toString()) as unknown[];
    fields[3] = 4;
    const edited = Buffer.from(JSON.stringify(fields)).toString("base64url");
    expect(() => decodeCursor(edited, "")).toThrow("not a cursor this gateway issued");
  });
});

describe("per-page cursor encoder", () => {
  it("gives each position the cursor a fresh encoder gives, across token changes", () => {
    const encode = cursorEncoder("status=FAILED");
    const positions = [
      { token: "page-2", skip: 1 },
      { token: "page-2", skip: 2 },
      { token: "page-3", skip: 0 },
      { token: "page-2", skip: 3 },
      END,
      { token: null, skip: 5 },
    ] as const;
    for (const position of positions) {
      expect(encode(position)).toBe(encodeCursor(position, "status=FAILED"));
      expect(decodeCursor(encode(position), "status=FAILED")).toEqual(position);
    }
  });

  it("writes one well-formed base64url JSON array for tokens of every byte length", () => {
    for (const token of ["", "a", "ab", "abc", "ö", "öö", "€x", 'tok/+="\\\n']) {
      for (const skip of [0, 9, 10, 99, 100]) {
        const cursor = encodeCursor({ token, skip }, "");
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        const fields = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
        expect(fields.slice(0, 4)).toEqual([2, expect.any(String), token, skip]);
        expect(decodeCursor(cursor, "")).toEqual({ token, skip });
      }
    }
  });

  it("refuses a cursor whose token was swapped for its JSON look-alike", () => {
    const cursor = encodeCursor({ token: null, skip: 0 }, "");
    const text = Buffer.from(cursor, "base64url").toString("utf8").replace("null", '"null"');
    const edited = Buffer.from(text).toString("base64url");
    expect(() => decodeCursor(edited, "")).toThrow("not a cursor this gateway issued");
  });
});
