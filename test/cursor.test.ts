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

describe("version 3 cursors: a position inside a page, with the id of the job before it", () => {
  const ids = ["pjb-1", "", 'quote"back\\slash', "ünïcödé", "emoji 😀", "ctl\n\t\u0000", "\ud800"];

  it("round-trip ids with any characters, and match a fresh encoder across version switches", () => {
    const encode = cursorEncoder("status=FAILED");
    for (const token of [null, "t", "tö", "tok/+=", "x".repeat(500)]) {
      for (const id of ids) {
        for (const skip of [1, 2, 99, 100]) {
          const position = { token, skip, id };
          const cursor = encode(position);
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(cursor).toBe(encodeCursor(position, "status=FAILED"));
          expect(decodeCursor(cursor, "status=FAILED", 100)).toEqual(position);
          const fields = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
          expect(fields.slice(0, 5)).toEqual([3, expect.any(String), token, skip, id]);
          // A boundary on the same token, between edges with ids, is still a version 2 cursor.
          const boundary = encode({ token, skip: 0 });
          expect(boundary).toBe(encodeCursor({ token, skip: 0 }, "status=FAILED"));
          expect(JSON.parse(Buffer.from(boundary, "base64url").toString())[0]).toBe(2);
        }
      }
    }
  });

  // Checked against an independent implementation of the format (in Python), as version 2 was.
  it("is pinned: a version 3 cursor in clients' hands stays readable", () => {
    const cursor = "WzMsImdsVERLYWtvVVBiVk9kMDMiLCJ0b2stMSIsNSwicGpiLTQyIiwiMWQzMWo2byJd";
    expect(decodeCursor(cursor, "k")).toEqual({ token: "tok-1", skip: 5, id: "pjb-42" });
    expect(encodeCursor({ token: "tok-1", skip: 5, id: "pjb-42" }, "k")).toBe(cursor);
  });

  it("refuses an edited id, a missing id, or an id on a page boundary", () => {
    const cursor = encodeCursor({ token: "t", skip: 3, id: "pjb-a" }, "");
    const fields = JSON.parse(Buffer.from(cursor, "base64url").toString()) as unknown[];
    const edit = (change: (copy: unknown[]) => unknown[]) =>
      Buffer.from(JSON.stringify(change([...fields]))).toString("base64url");
    for (const edited of [
      edit((copy) => copy.with(4, "pjb-b")),
      edit((copy) => copy.with(4, null)),
      edit((copy) => copy.with(3, 0)),
      edit((copy) => copy.toSpliced(4, 1)),
      edit((copy) => copy.with(0, 2).toSpliced(4, 1)),
    ]) {
      expect(() => decodeCursor(edited, "")).toThrow("not a cursor this gateway issued");
    }
  });
});

describe("cursor offsets deeper than any page", () => {
  it("are refused when the skip exceeds the max page size, with the numbers", () => {
    for (const position of [
      { token: null, skip: 101 },
      { token: "t", skip: 5000, id: "pjb-1" },
    ]) {
      const cursor = encodeCursor(position, "");
      expect(() => decodeCursor(cursor, "", 100)).toThrow(
        `points ${position.skip} items into an upstream page, deeper than any page of at most 100 items (MAX_PAGE_SIZE)`,
      );
      expect(decodeCursor(cursor, "")).toEqual(position);
    }
    expect(decodeCursor(encodeCursor({ token: null, skip: 100 }, ""), "", 100)).toEqual({
      token: null,
      skip: 100,
    });
  });
});
