import { describe, expect, it } from "vitest";
import { decodeCursor, END, encodeCursor } from "../src/cursor.js";

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
