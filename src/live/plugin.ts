import { isAsyncIterable, type Plugin } from "graphql-yoga";

/**
 * Ends subscriptions nobody will read. Yoga answers a subscription whose `Accept` allows no event
 * stream (JSON only) with 406 and drops its result without ending it: the watch behind it would
 * stay open, hold one of the caller's MAX_SUBSCRIPTIONS_PER_CALLER slots and keep its poller
 * calling the upstream. Placed after Yoga's own result processors, this hook sees that none was
 * chosen and returns the stream. The direct path runs the same hooks (src/server/direct-stream.ts).
 */
export function unservedStreamsPlugin(): Plugin {
  return {
    onResultProcess({ result, resultProcessor }) {
      if (resultProcessor !== undefined || !isAsyncIterable(result)) return;
      const iterator = result[Symbol.asyncIterator]();
      void iterator.return?.();
    },
  };
}
