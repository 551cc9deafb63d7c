import type { CallCase } from "./calls.js";
import type { ScaleOutReport } from "./scale-out.js";
import type { StartupResult } from "./startup.js";
import { formatTracingCost, type TracingCostReport } from "./tracing.js";

/** Everything one run measured; also what goes into the JSON file. */
export interface BenchReport {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  settings: { rounds: number; seconds: number; connections: number; smoke: boolean };
  throughput: Record<
    string,
    {
      requestsPerSecond: number;
      p50Ms: number;
      p99Ms: number;
      /** The serving process's CPU time per request (median over rounds); NaN when not ours. */
      cpuUsPerRequest: number;
      rounds: number[];
    }
  >;
  /** `unshared`: the gateway with UPSTREAM_DEDUPLICATE=false and SHARE_EXECUTIONS=false (every request runs and makes its own call). */
  ratios: {
    gatewayToProxy: number;
    gatewayToDirect: number;
    unsharedToProxy: number;
    /** Against the same proxy on undici, the HTTP client the gateway uses (`proxyUndici`). */
    unsharedToUndiciProxy: number;
  };
  /**
   * What each optimisation in bench/ablations/ buys: the unshared gateway's CPU per request
   * without it (its `without:<name>` row) and with it, and the throughput that saving is worth
   * to a CPU-bound gateway (`without ÷ with − 1`), in percent. CPU per request, not req/s: on a
   * shared machine req/s drift by half between rounds, CPU time per request far less.
   */
  ablations: Array<{ name: string; cpuUsWithout: number; cpuUsWith: number; gainPercent: number }>;
  latencyAtHalfSaturation: HalfSaturation;
  unsharedLatencyAtHalfSaturation: HalfSaturation;
  calls: CallCase[];
  memory: {
    warmupRequests: number;
    warmMiB: number;
    at50kMiB: number;
    at100kMiB: number;
    growthPercent: number;
    requests: [number, number];
  };
  /**
   * `runs`: cold starts (dist/ stale, so `npm start` builds first); `warmRuns`: restarts with
   * dist/ up to date, which skip the build.
   */
  startup: {
    runs: StartupResult[];
    medianFirstAnswerMs: number;
    warmRuns: StartupResult[];
    medianWarmFirstAnswerMs: number;
  };
  /** Two replicas sharing one Redis behind a round-robin balancer (bench/scale-out.ts). */
  scaleOut: ScaleOutReport;
  /** The unshared page query with tracing off, at 100 % and at 10 % sampling (bench/tracing.ts). */
  tracing: TracingCostReport;
}

/** Fixed-rate latency at half of a gateway's saturated req/s, next to the upstream directly. */
export interface HalfSaturation {
  rate: number;
  gateway: { p50Us: number; p99Us: number };
  direct: { p50Us: number; p99Us: number };
  addedP99Us: number;
  roundsP99Us: { gateway: number[]; direct: number[] };
}

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/** Renders the report as plain-text tables for stdout. */
export function formatReport(report: BenchReport): string {
  const lines: string[] = [];
  const { machine, settings } = report;
  // A smoke run's numbers mean nothing: it shows no target and gives no verdict.
  const target = (text: string) => (settings.smoke ? "" : ` (target ${text})`);
  lines.push(
    `parse-jobs-graphql bench — ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${report.date}`,
    `${settings.rounds} round(s) × ${settings.seconds} s per target, ${settings.connections} connections${settings.smoke ? " (SMOKE: numbers mean nothing)" : ""}`,
    "",
    "1. Page query parseJobs(first: 20), all fields (medians over rounds)",
    `   ${pad("target", 30)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("µs CPU/req", 12)}rounds req/s`,
  );
  for (const [name, row] of Object.entries(report.throughput)) {
    lines.push(
      `   ${pad(name, 30)}${pad(num(row.requestsPerSecond), 10)}${pad(num(row.p50Ms, 1), 9)}${pad(num(row.p99Ms, 1), 9)}${pad(num(row.cpuUsPerRequest), 12)}${row.rounds.map((r) => num(r)).join(" ")}`,
    );
  }
  const halfLines = (label: string, half: HalfSaturation) => [
    `   ${label} at half of its saturation (${num(half.rate)} req/s, fixed rate): p50/p99 ${num(half.gateway.p50Us / 1000, 2)}/${num(half.gateway.p99Us / 1000, 2)} ms, direct ${num(half.direct.p50Us / 1000, 2)}/${num(half.direct.p99Us / 1000, 2)} ms → added p99 ${num(half.addedP99Us / 1000, 2)} ms${target("≤ 2 ms")}`,
    `     p99 per round (ms): ${label} ${half.roundsP99Us.gateway.map((us) => num(us / 1000, 2)).join(" ")}, direct ${half.roundsP99Us.direct.map((us) => num(us / 1000, 2)).join(" ")}`,
  ];
  lines.push(
    `   gateway ÷ proxy  = ${num(report.ratios.gatewayToProxy * 100, 1)} %${target("≥ 40 %")}`,
    `   gateway ÷ direct = ${num(report.ratios.gatewayToDirect * 100, 1)} %`,
    `   unshared ÷ proxy = ${num(report.ratios.unsharedToProxy * 100, 1)} %   (UPSTREAM_DEDUPLICATE=false, SHARE_EXECUTIONS=false: every request runs and makes its own upstream call)`,
    `   unshared ÷ proxyUndici = ${num(report.ratios.unsharedToUndiciProxy * 100, 1)} %   (the same proxy on undici, the gateway's own HTTP client)`,
    ...report.ablations.map(
      (row) =>
        `   ${pad(`${row.name}:`, 22)}buys ${num(row.gainPercent, 1)} % of the unshared row (${num(row.cpuUsWith)} µs CPU/request with it, ${num(row.cpuUsWithout)} without; kept only at ≥ 3 %)`,
    ),
    ...halfLines("gateway", report.latencyAtHalfSaturation),
    ...halfLines("unshared", report.unsharedLatencyAtHalfSaturation),
    "",
    "2. Upstream calls per operation",
    `   ${pad("case", 44)}${pad("actual", 8)}${pad("ideal", 7)}result`,
  );
  for (const row of report.calls) lines.push(`   ${callLine(row, settings.smoke)}`);
  const memory = report.memory;
  lines.push(
    "",
    "3. Gateway memory (RSS)",
    `   after warm-up (${memory.warmupRequests} requests) ${num(memory.warmMiB, 1)} MiB, after ${memory.requests[0]} ${num(memory.at50kMiB, 1)} MiB, after ${memory.requests[1]} ${num(memory.at100kMiB, 1)} MiB → growth ${num(memory.growthPercent, 1)} %${target("< 10 %")}`,
    "",
    "4. Start-up (the npm start line → first successful page query)",
    `   cold, dist/ stale (build included): ${startupRuns(report.startup.runs)}; median ${num(report.startup.medianFirstAnswerMs)} ms`,
    `   warm, dist/ up to date (no build): ${startupRuns(report.startup.warmRuns)}; median ${num(report.startup.medianWarmFirstAnswerMs)} ms${target("< 1500 ms")}`,
    "",
    ...formatScaleOut(report.scaleOut, settings.smoke),
    "",
    ...formatTracingCost(report.tracing),
  );
  return lines.join("\n");
}

/** The rows of section 5 (bench/scale-out.ts), in the order they are reported, with their labels. */
export const SCALE_OUT_ROWS = {
  "scale:local": "1 replica, cache in process",
  "scale:redis": "1 replica, cache in Redis",
  "scale:lb-1": "balancer → 1 replica (Redis)",
  "scale:lb-2": "balancer → 2 replicas (Redis)",
} as const;

/** Section 5: the two-replica rows and calls (also all that `--only scale-out` prints). */
export function formatScaleOut(report: ScaleOutReport, smoke: boolean): string[] {
  const lines = [
    "5. Two replicas sharing one Redis behind a round-robin balancer (page query, response cache on, medians over rounds)",
    `   ${pad("target", 34)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("µs CPU/req", 12)}rounds req/s`,
  ];
  for (const [name, label] of Object.entries(SCALE_OUT_ROWS)) {
    const row = report.throughput[name];
    if (row === undefined) continue;
    lines.push(
      `   ${pad(label, 34)}${pad(num(row.requestsPerSecond), 10)}${pad(num(row.p50Ms, 1), 9)}${pad(num(row.p99Ms, 1), 9)}${pad(num(row.cpuUsPerRequest), 12)}${row.rounds.map((r) => num(r)).join(" ")}`,
    );
  }
  lines.push(
    `   2 replicas ÷ 1 replica (both behind the balancer) = ${num(report.pairToOne * 100, 1)} %`,
    `   cache in Redis ÷ cache in process (1 replica, no balancer) = ${num(report.redisToLocal * 100, 1)} %`,
    `   ${pad("upstream calls, shared cache on", 44)}${pad("actual", 8)}${pad("ideal", 7)}result`,
  );
  for (const row of report.calls) lines.push(`   ${callLine(row, smoke)}`);
  return lines;
}

/** One upstream-calls case: its counts and verdict (not judged in a smoke run). */
function callLine(row: CallCase, smoke: boolean): string {
  const verdict =
    row.note ??
    (smoke
      ? "smoke: not judged"
      : row.actual === row.ideal && row.correct
        ? "ok"
        : `MISMATCH${row.correct ? "" : " (wrong answer)"}`);
  return `${pad(row.name, 44)}${pad(String(row.actual ?? "–"), 8)}${pad(String(row.ideal ?? "–"), 7)}${verdict}`;
}

/** Start-up runs as `N ms (listening M ms)`, flagging any whose build step did not do as expected. */
function startupRuns(runs: StartupResult[]): string {
  return runs
    .map((r) => {
      const expected = r.kind === "cold";
      const flag = r.rebuilt === expected ? "" : r.rebuilt ? ", REBUILT" : ", NOT REBUILT";
      return `${num(r.firstAnswerMs)} ms (listening ${num(r.listeningMs)} ms${flag})`;
    })
    .join(", ");
}

/** The median of some numbers (NaN for none). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
