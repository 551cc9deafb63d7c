import { GatewayError } from "../upstream/errors.js";
import { builder } from "./builder.js";
import { ParseJob } from "./parse-job.js";

/** The Federation spec version the subgraph SDL links to (`@link(url: …/federation/v2.6)`). */
export const FEDERATION_LINK_URL = "https://specs.apollo.dev/federation/v2.6";

// ParseJob is an entity keyed by the raw upstream id, so another subgraph can hold just the id
// (`Document.parseJob`) and let the router fetch the rest here. Representations go through the
// request's job loader like `node`/`nodes`: N of them cost ⌈N / LOOKUP_BATCH_SIZE⌉ upstream calls,
// and an unknown id resolves to null in its place.
builder.asEntity(ParseJob, {
  key: builder.selection<{ id: string }>("id"),
  // Async, so that a bad representation rejects its own entry instead of the whole `_entities`.
  resolveReference: async (reference, context) => {
    // Routers send key fields as JSON; anything but a string cannot name an upstream job.
    const id: unknown = reference.id;
    if (typeof id !== "string") {
      throw new GatewayError(
        "BAD_USER_INPUT",
        `A ParseJob representation needs a string "id" (the LlamaCloud job id), got ${JSON.stringify(id) ?? "nothing"}`,
      );
    }
    return context.jobs.load(id);
  },
});
