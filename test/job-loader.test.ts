import { describe, expect, it } from "vitest";
import { chunkByQueryLength } from "../src/loaders/job-loader.js";
import { MAX_FILTER_QUERY_LENGTH } from "../src/rest-params.js";

describe("chunkByQueryLength", () => {
  it("keeps short ids in one chunk", () => {
    const ids = Array.from({ length: 100 }, (_, i) => `pjb-${i}`);
    expect(chunkByQueryLength(ids)).toEqual([ids]);
  });

  it("splits long ids so that every chunk's query stays under the budget, in order", () => {
    const ids = Array.from({ length: 100 }, (_, i) => `pjb-${String(i).padStart(120, "0")}`);
    const chunks = chunkByQueryLength(ids);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(ids);
    for (const chunk of chunks) {
      const query = new URLSearchParams(chunk.map((id) => ["job_ids", id])).toString();
      expect(query.length).toBeLessThanOrEqual(MAX_FILTER_QUERY_LENGTH);
    }
  });
});
