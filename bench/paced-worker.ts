import http from "node:http";
import type { PacedRequest, PacedResult } from "./load.js";

/**
 * A fixed-rate load generator in its own process, for latency below saturation. autocannon
 * records whole milliseconds; this one times each request in microseconds, which a 2 ms budget
 * needs. Requests start on a fixed schedule whatever earlier ones are doing (open loop).
 */
process.once("message", async (message: PacedRequest) => {
  const { target, rate, seconds } = message;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(target.url);
  const latencies: number[] = [];
  let failures = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = http.request(
        url,
        { method: target.method, headers: target.headers, agent },
        (response) => {
          response.resume();
          response.on("end", () => {
            if (response.statusCode === 200) latencies.push((performance.now() - started) * 1000);
            else failures++;
            resolve();
          });
        },
      );
      request.on("error", () => {
        failures++;
        resolve();
      });
      request.end(target.body);
    });
  const total = Math.round(rate * seconds);
  const begin = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * rate) + 1);
    for (; sent < due; sent++) pending.push(once());
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const answer: PacedResult = {
    p50Us: at(0.5),
    p99Us: at(0.99),
    total: latencies.length,
    failures,
  };
  agent.destroy();
  process.send?.(answer, () => process.exit(0));
});
