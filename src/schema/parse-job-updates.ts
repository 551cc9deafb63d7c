import { listLookupCost } from "../limits/cost.js";
import { GatewayError } from "../upstream/errors.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { builder } from "./builder.js";
import { ParseJob } from "./parse-job.js";

builder.subscriptionType({
  description: "Live parse job status, over GraphQL over SSE or over WebSocket (`graphql-ws`).",
});

builder.subscriptionField("parseJobUpdates", (t) =>
  t.field({
    type: ParseJob,
    description:
      "Each job's current state at once, then again whenever its status or updatedAt changes; completes when every job named is finished (COMPLETED, FAILED, CANCELLED) or does not exist.",
    args: {
      ids: t.arg.idList({
        required: true,
        description:
          "LlamaCloud job ids to watch: 1 to LOOKUP_BATCH_SIZE (default 100) distinct ids.",
      }),
    },
    // Priced like `nodes(ids:)`: its ids plus one upstream call per batch, the price of one read
    // of them. Later polls are shared by every subscriber of the caller, so they are not priced.
    complexity: (args, context) => listLookupCost(args.ids, context.config.lookupBatchSize),
    subscribe: (_root, { ids }, context) => {
      const { live } = context;
      if (live === undefined) throw new Error("No live status in this context");
      return errorsAsEvents(live.watch({ ids, context, signal: context.interest.signal }));
    },
    resolve: (payload) => {
      // An upstream refusal ends the stream as this field's error: an event with the error, then
      // completion, on every transport (a thrown iterator would reach each differently).
      if (payload instanceof GatewayError) throw payload;
      return payload;
    },
  }),
);

/**
 * The watch's events, with a failure of the watch (its `next()` rejecting) turned into a last
 * event carrying the error, after which the stream is done. `return()` reaches the watch at once.
 */
function errorsAsEvents(
  source: AsyncIterable<ParseJobRecord>,
): AsyncIterableIterator<ParseJobRecord | GatewayError> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  const finished = (): IteratorResult<ParseJobRecord | GatewayError> => ({
    done: true,
    value: undefined,
  });
  return {
    async next() {
      if (done) return finished();
      try {
        const result = await iterator.next();
        if (result.done) done = true;
        return result;
      } catch (error) {
        done = true;
        if (error instanceof GatewayError) return { done: false, value: error };
        throw error;
      }
    },
    async return() {
      done = true;
      await iterator.return?.();
      return finished();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
