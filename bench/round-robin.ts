import { startRoundRobin } from "../test/support/round-robin.js";

/**
 * The two-replica row's load balancer as its own process: the tests' round-robin balancer
 * (test/support/round-robin.ts, haproxy's `balance roundrobin` in a few lines of Node) in front
 * of the replicas in `BENCH_TARGETS` (comma-separated base URLs). Prints `listening <port>` when
 * ready. Its own process, so that its CPU is neither the replicas' nor the demo upstream's.
 */
const targets = (process.env.BENCH_TARGETS ?? "").split(",").filter((target) => target !== "");
if (targets.length === 0) throw new Error("BENCH_TARGETS must name at least one base URL");
const balancer = await startRoundRobin(targets, { record: false });
console.log(`listening ${balancer.port}`);
