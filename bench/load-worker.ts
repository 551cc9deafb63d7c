import autocannon from "autocannon";
import type { LoadRequest, LoadResult } from "./load.js";

/**
 * The load generator's own process: runs autocannon for one request sent by the bench over IPC,
 * answers with the numbers, then exits. It never shares a thread with what it measures.
 */
process.once("message", async (message: LoadRequest) => {
  const { target } = message;
  const result = await autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    ...(target.body === undefined ? {} : { body: target.body }),
    ...(target.expectBody === undefined ? {} : { expectBody: target.expectBody }),
    connections: message.connections,
    ...(message.amount === undefined ? { duration: message.seconds } : { amount: message.amount }),
  });
  const answer: LoadResult = {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
  process.send?.(answer, () => process.exit(0));
});
