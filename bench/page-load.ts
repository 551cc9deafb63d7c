import type { DemoUpstream } from "../src/demo-upstream/server.js";
import { paced, saturate } from "./load.js";
import { cpuMicros } from "./processes.js";
import { type BenchReport, type HalfSaturation, median } from "./report.js";
import type { Target } from "./targets.js";

/** How long and how hard the page-query runs go. */
export interface LoadSettings {
  smoke: boolean;
  rounds: number;
  seconds: number;
  connections: number;
}

/** The CPU time the processes have used so far, added up; null when one cannot be read. */
function cpuOf(pids: readonly number[]): number | null {
  if (pids.length === 0) return null;
  let total = 0;
  for (const pid of pids) {
    const micros = cpuMicros(pid);
    if (micros === null) return null;
    total += micros;
  }
  return total;
}

/** Each target saturated in turn, round after round; medians over the rounds. */
export async function throughput(
  targets: Target[],
  demo: DemoUpstream,
  settings: LoadSettings,
): Promise<BenchReport["throughput"]> {
  const runs = new Map<
    string,
    Array<{ requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuUs: number }>
  >();
  for (let round = 0; round < settings.rounds; round++) {
    // Targets alternate and the order rotates, so drift between rounds hits each one alike.
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
    for (const target of order) {
      const pids = target.pids ?? (target.pid === undefined ? [] : [target.pid]);
      const cpuBefore = cpuOf(pids);
      const result = await saturate({
        target,
        connections: settings.connections,
        seconds: settings.seconds,
      });
      const cpuAfter = cpuOf(pids);
      const cpuUs =
        cpuBefore === null || cpuAfter === null || result.total === 0
          ? Number.NaN
          : (cpuAfter - cpuBefore) / result.total;
      demo.reset();
      if (result.failures > 0)
        throw new Error(`${target.name}: ${result.failures} failed requests`);
      runs.set(target.name, [...(runs.get(target.name) ?? []), { ...result, cpuUs }]);
      const cpu = Number.isNaN(cpuUs) ? "" : `, ${cpuUs.toFixed(0)} µs CPU/request`;
      process.stderr.write(
        `  round ${round + 1} ${target.name}: ${result.requestsPerSecond.toFixed(0)} req/s${cpu}\n`,
      );
    }
  }
  const table: BenchReport["throughput"] = {};
  for (const target of targets) {
    const rows = runs.get(target.name) ?? [];
    table[target.name] = {
      requestsPerSecond: median(rows.map((r) => r.requestsPerSecond)),
      p50Ms: median(rows.map((r) => r.p50Ms)),
      p99Ms: median(rows.map((r) => r.p99Ms)),
      cpuUsPerRequest: median(rows.map((r) => r.cpuUs)),
      rounds: rows.map((r) => r.requestsPerSecond),
    };
  }
  return table;
}

/** A fixed-rate run through a gateway and directly, alternating; medians of the p50s and p99s. */
export async function halfSaturation(
  gateway: Target,
  direct: Target,
  rate: number,
  demo: DemoUpstream,
  settings: LoadSettings,
): Promise<HalfSaturation> {
  const seconds = Math.max(2, settings.seconds);
  const gatewayRuns = [];
  const directRuns = [];
  // Five rounds: on a shared machine one round in three or four can meet a stall of tens of
  // milliseconds (seen: 234 ms), and a median of five shrugs off two of them.
  for (let round = 0; round < (settings.smoke ? 1 : 5); round++) {
    gatewayRuns.push(await paced({ target: gateway, rate, seconds }));
    directRuns.push(await paced({ target: direct, rate, seconds }));
    demo.reset();
  }
  const summary = (runs: Array<{ p50Us: number; p99Us: number }>) => ({
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
  });
  const g = summary(gatewayRuns);
  const d = summary(directRuns);
  const p99s = (runs: Array<{ p99Us: number }>) => runs.map((r) => Math.round(r.p99Us));
  return {
    rate,
    gateway: g,
    direct: d,
    addedP99Us: g.p99Us - d.p99Us,
    roundsP99Us: { gateway: p99s(gatewayRuns), direct: p99s(directRuns) },
  };
}
