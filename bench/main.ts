import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEMO_KEY, type DemoUpstream, startDemoUpstream } from "../src/demo-upstream/server.js";
import { ablationNames, buildAblation } from "./ablations.js";
import { entitiesCase, listAllIds, lookupCase, poster, walkCase } from "./calls.js";
import { saturate } from "./load.js";
import { halfSaturation, throughput } from "./page-load.js";
import {
  type Child,
  GC_ON_SIGNAL_ENV,
  ROOT,
  rssAfterGc,
  SCRIPT_ENV,
  startGateway,
  startProxy,
  startScript,
} from "./processes.js";
import { type BenchReport, formatReport, formatScaleOut, median } from "./report.js";
import { scaleOut } from "./scale-out.js";
import { measureStartup } from "./startup.js";
import { pageTargets, sendOnce, sendOnceRaw, type Target } from "./targets.js";
import { formatTracingCost, tracingCost } from "./tracing.js";

/**
 * `npm run bench`: the gateway, the bare proxy and the load generators each run in their own
 * process; the demo upstream runs in this one, which otherwise only waits. See BENCHMARKS.md.
 */
const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string", default: "20" },
    out: { type: "string" },
    // `--only scale-out`: section 5 alone (two replicas with Redis), with the same settings;
    // `--only tracing`: section 6 alone (the cost of tracing).
    only: { type: "string" },
  },
});
if (flags.only !== undefined && flags.only !== "scale-out" && flags.only !== "tracing") {
  throw new Error(
    `--only takes one section: scale-out or tracing (got ${JSON.stringify(flags.only)})`,
  );
}
const smoke = flags.smoke ?? false;
const settings = {
  smoke,
  rounds: Number(flags.rounds ?? (smoke ? 1 : 5)),
  seconds: Number(flags.seconds ?? (smoke ? 1 : 10)),
  connections: Number(flags.connections),
};
const memoryPlan = smoke
  ? { warmup: 200, first: 500, second: 1000 }
  : { warmup: 10_000, first: 50_000, second: 100_000 };
const defaultOut = flags.only === undefined ? (smoke ? "smoke" : "latest") : flags.only;
const out = path.resolve(ROOT, flags.out ?? `bench/results/${defaultOut}.json`);
const MiB = 1024 * 1024;

const children: Child[] = [];
const demos: DemoUpstream[] = [];
async function child(start: Promise<Child>): Promise<Child> {
  const started = await start;
  children.push(started);
  return started;
}

async function memory(demo: DemoUpstream, apiKey: string): Promise<BenchReport["memory"]> {
  // A fresh gateway, so the request counts are exact from its start; RSS is read after a full GC,
  // or the reading would follow V8's collection cycle rather than what the gateway keeps.
  const gateway = await child(startGateway(demo.url, apiKey, GC_ON_SIGNAL_ENV));
  const [, , page] = pageTargets(
    { upstream: demo.url, proxy: demo.url, gateway: `http://127.0.0.1:${gateway.port}/graphql` },
    apiKey,
  );
  const target = { ...(page as Target), expectBody: await sendOnceRaw(page as Target) };
  const run = async (amount: number) => {
    const result = await saturate({
      target,
      connections: settings.connections,
      seconds: 0,
      amount,
    });
    demo.reset();
    if (result.failures > 0) throw new Error(`memory run: ${result.failures} failed requests`);
    return ((await rssAfterGc(gateway.pid)) ?? Number.NaN) / MiB;
  };
  const warmMiB = await run(memoryPlan.warmup);
  const at50kMiB = await run(memoryPlan.first - memoryPlan.warmup);
  const at100kMiB = await run(memoryPlan.second - memoryPlan.first);
  await gateway.stop();
  return {
    warmupRequests: memoryPlan.warmup,
    warmMiB,
    at50kMiB,
    at100kMiB,
    growthPercent: ((at100kMiB - at50kMiB) / at50kMiB) * 100,
    requests: [memoryPlan.first, memoryPlan.second],
  };
}

/** Section 5 alone (`--only scale-out`): prints it and writes its JSON. */
async function onlyScaleOut(): Promise<void> {
  const demo = await startDemoUpstream();
  demos.push(demo);
  process.stderr.write("two replicas with Redis…\n");
  const report = await scaleOut(demo, settings);
  console.log(formatScaleOut(report, smoke).join("\n"));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), settings, scaleOut: report }, null, 2)}\n`,
  );
  console.log(`\nJSON: ${path.relative(ROOT, out)}`);
  if (report.calls.some((c) => c.actual !== c.ideal || !c.correct)) process.exitCode = 1;
}

/** Section 6 alone (`--only tracing`): prints it and writes its JSON. */
async function onlyTracing(): Promise<void> {
  const demo = await startDemoUpstream();
  demos.push(demo);
  process.stderr.write("cost of tracing…\n");
  const report = await tracingCost(demo, settings);
  console.log(formatTracingCost(report).join("\n"));
  mkdirSync(path.dirname(out), { recursive: true });
  const json = { date: new Date().toISOString(), settings, tracing: report };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nJSON: ${path.relative(ROOT, out)}`);
}

async function main(): Promise<void> {
  // Build once, as `npm start` would; each gateway below then starts like `npm start` serves.
  const { build } = startScript();
  if (build)
    execSync(build, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...SCRIPT_ENV } });
  if (flags.only === "scale-out") return onlyScaleOut();
  if (flags.only === "tracing") return onlyTracing();
  const demo = await startDemoUpstream();
  const capped = await startDemoUpstream({ maxPageSize: 7 });
  demos.push(demo, capped);
  const gateway = await child(startGateway(demo.url, DEMO_KEY));
  const unsharedEnv = { UPSTREAM_DEDUPLICATE: "false", SHARE_EXECUTIONS: "false" };
  const unshared = await child(startGateway(demo.url, DEMO_KEY, unsharedEnv));
  // Each optimisation taken out in turn (bench/ablations/): what it buys, measured in this run.
  const ablated: Array<{ name: string; port: number; pid: number }> = [];
  for (const name of ablationNames()) {
    const { entry } = await buildAblation(name);
    const started = await child(startGateway(demo.url, DEMO_KEY, unsharedEnv, entry));
    ablated.push({ name, port: started.port, pid: started.pid });
  }
  const cappedGateway = await child(startGateway(capped.url, DEMO_KEY));
  const proxy = await child(startProxy(demo.url));
  const proxyUndici = await child(startProxy(demo.url, "undici"));
  const gatewayUrl = `http://127.0.0.1:${gateway.port}/graphql`;
  const targets = pageTargets(
    {
      upstream: demo.url,
      proxy: `http://127.0.0.1:${proxy.port}`,
      gateway: gatewayUrl,
      unshared: `http://127.0.0.1:${unshared.port}/graphql`,
      proxyUndici: `http://127.0.0.1:${proxyUndici.port}`,
    },
    DEMO_KEY,
  );
  // The processes behind the targets, so each run reads their CPU time per request.
  const pids: Partial<Record<Target["name"], number>> = {
    proxy: proxy.pid,
    gateway: gateway.pid,
    unshared: unshared.pid,
    proxyUndici: proxyUndici.pid,
  };
  targets.forEach((target, index) => {
    targets[index] = { ...target, pid: pids[target.name] };
  });
  const unsharedTarget = targets[3] as Target;
  for (const { name, port, pid } of ablated) {
    targets.push({
      ...unsharedTarget,
      name: `without:${name}`,
      url: `http://127.0.0.1:${port}/graphql`,
      pid,
    });
  }
  for (const target of targets) await sendOnce(target);
  // The gateway's answer to the page query is deterministic: under load, every answer must equal
  // it, so a gateway that answered errors (with status 200) fast could not pass for fast.
  for (const index of [2, 3, ...ablated.map((_, n) => targets.length - ablated.length + n)]) {
    const gatewayTarget = targets[index] as Target;
    targets[index] = { ...gatewayTarget, expectBody: await sendOnceRaw(gatewayTarget) };
  }

  process.stderr.write("upstream calls…\n");
  const allIds = await listAllIds(demo.url, DEMO_KEY);
  const hundred = allIds.slice(0, 100);
  const post = poster(gatewayUrl);
  const postCapped = poster(`http://127.0.0.1:${cappedGateway.port}/graphql`);
  const calls = [
    await walkCase(post, demo, allIds, 20, 100, `full walk, first: 20 (${allIds.length} jobs)`),
    await walkCase(post, demo, allIds, 100, 100, `full walk, first: 100 (${allIds.length} jobs)`),
    await lookupCase(post, demo, hundred, 100, "100 lookups in one operation"),
    await walkCase(postCapped, capped, allIds, 20, 7, "capped page (7): full walk, first: 20"),
    await lookupCase(postCapped, capped, hundred, 7, "capped page (7): 100 lookups"),
    await entitiesCase(post, demo, hundred, 100),
  ];
  await cappedGateway.stop();
  demo.reset();

  process.stderr.write("throughput…\n");
  const table = await throughput(targets, demo, settings);
  const rate = Math.max(50, Math.round((table.gateway?.requestsPerSecond ?? 0) / 2));
  process.stderr.write(`latency at ${rate} req/s…\n`);
  const latency = await halfSaturation(
    targets[2] as Target,
    targets[0] as Target,
    rate,
    demo,
    settings,
  );
  const unsharedRate = Math.max(50, Math.round((table.unshared?.requestsPerSecond ?? 0) / 2));
  process.stderr.write(`latency of the unshared gateway at ${unsharedRate} req/s…\n`);
  const unsharedLatency = await halfSaturation(
    targets[3] as Target,
    targets[0] as Target,
    unsharedRate,
    demo,
    settings,
  );
  await gateway.stop();
  await unshared.stop();
  await proxy.stop();
  await proxyUndici.stop();

  process.stderr.write("two replicas with Redis…\n");
  const scale = await scaleOut(demo, settings);

  process.stderr.write("cost of tracing…\n");
  const tracing = await tracingCost(demo, settings);

  process.stderr.write("memory…\n");
  const mem = await memory(demo, DEMO_KEY);

  process.stderr.write("start-up…\n");
  const runs = [];
  const warmRuns = [];
  // Cold then warm each round: the cold start's build is what leaves dist/ fresh for the warm one.
  for (let i = 0; i < (smoke ? 1 : 3); i++) {
    runs.push(await measureStartup(demo.url, DEMO_KEY, "cold"));
    warmRuns.push(await measureStartup(demo.url, DEMO_KEY, "warm"));
  }

  const cpus = os.cpus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "unknown",
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    settings,
    throughput: table,
    ratios: {
      gatewayToProxy:
        (table.gateway?.requestsPerSecond ?? 0) / (table.proxy?.requestsPerSecond ?? 1),
      gatewayToDirect:
        (table.gateway?.requestsPerSecond ?? 0) / (table.direct?.requestsPerSecond ?? 1),
      unsharedToProxy:
        (table.unshared?.requestsPerSecond ?? 0) / (table.proxy?.requestsPerSecond ?? 1),
      unsharedToUndiciProxy:
        (table.unshared?.requestsPerSecond ?? 0) / (table.proxyUndici?.requestsPerSecond ?? 1),
    },
    ablations: ablated.map(({ name }) => {
      const cpuUsWith = table.unshared?.cpuUsPerRequest ?? Number.NaN;
      const cpuUsWithout = table[`without:${name}`]?.cpuUsPerRequest ?? Number.NaN;
      return { name, cpuUsWith, cpuUsWithout, gainPercent: (cpuUsWithout / cpuUsWith - 1) * 100 };
    }),
    latencyAtHalfSaturation: latency,
    unsharedLatencyAtHalfSaturation: unsharedLatency,
    calls,
    memory: mem,
    startup: {
      runs,
      medianFirstAnswerMs: median(runs.map((r) => r.firstAnswerMs)),
      warmRuns,
      medianWarmFirstAnswerMs: median(warmRuns.map((r) => r.firstAnswerMs)),
    },
    scaleOut: scale,
    tracing,
  };
  console.log(formatReport(report));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON: ${path.relative(ROOT, out)}`);
  const mismatched = [...calls, ...scale.calls].filter(
    (c) => c.note === undefined && (c.actual !== c.ideal || !c.correct),
  );
  if (mismatched.length > 0) process.exitCode = 1;
}

try {
  await main();
} finally {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(demos.map((d) => d.close()));
}
