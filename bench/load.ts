import { fork } from "node:child_process";
import { ROOT } from "./processes.js";
import type { Target } from "./targets.js";

/** A saturating run: `connections` clients back to back, for `seconds` or `amount` requests. */
export interface LoadRequest {
  target: Target;
  connections: number;
  seconds: number;
  amount?: number;
}

/** What one saturating run measured (autocannon's whole-millisecond latencies). */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failures: number;
}

/** A fixed-rate run for latency below saturation. */
export interface PacedRequest {
  target: Target;
  rate: number;
  seconds: number;
}

/** What one fixed-rate run measured, in microseconds. */
export interface PacedResult {
  p50Us: number;
  p99Us: number;
  total: number;
  failures: number;
}

/** Runs a worker script in a fresh process, hands it one request and waits for its one answer. */
function inWorker<Q, A>(script: string, request: Q): Promise<A> {
  const child = fork(script, [], { cwd: ROOT, execArgv: ["--import", "tsx"], stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("message", (answer) => resolve(answer as A));
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}) without an answer`)));
    child.once("error", reject);
    child.send(request as object);
  });
}

/** Saturates a target with autocannon running in its own process. */
export function saturate(request: LoadRequest): Promise<LoadResult> {
  return inWorker("bench/load-worker.ts", request);
}

/** Sends a target at a fixed rate from its own process, timing each request in microseconds. */
export function paced(request: PacedRequest): Promise<PacedResult> {
  return inWorker("bench/paced-worker.ts", request);
}
