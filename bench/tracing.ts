import http from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_KEY, type DemoUpstream } from "../src/demo-upstream/server.js";
import { type LoadSettings, throughput } from "./page-load.js";
import { type Child, startGateway } from "./processes.js";
import { pageTargets, sendOnceRaw, type Target } from "./targets.js";

/** What the tracing section measured (`npm run bench`, section 6). */
export interface TracingCostReport {
  /** The unshared page query with tracing off, at 100 % and at 10 % sampling. */
  throughput: Awaited<ReturnType<typeof throughput>>;
  /** Export requests and bytes the sink received during the run: the spans did go out. */
  exports: number;
  exportedBytes: number;
}

/** The rows, in the order they are reported, with their labels and what turns them on. */
export const TRACING_ROWS = {
  "trace:off": { label: "tracing off (no endpoint)", env: {} },
  "trace:100%": { label: "tracing on, 100 % sampled", env: { OTEL_TRACES_SAMPLER: "always_on" } },
  "trace:10%": {
    label: "tracing on, 10 % sampled",
    env: { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" },
  },
} as const;

/** Every request runs and calls for itself, as in section 1's `unshared` row. */
const UNSHARED_ENV = { UPSTREAM_DEDUPLICATE: "false", SHARE_EXECUTIONS: "false" };

/**
 * A collector stand-in: takes OTLP/HTTP exports (the default protocol, protobuf) and only counts
 * them. It runs in the bench's process, as a collector would run beside the gateway.
 */
async function startSink() {
  const counts = { exports: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      counts.bytes += chunk.length;
    });
    req.on("end", () => {
      counts.exports++;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Three gateways serving the unshared page query, measured in one rotation as section 1 measures
 * its targets: tracing off, and on with 100 % and 10 % of traces sampled, every span exported to
 * a local sink. Everything it starts is stopped before it returns.
 */
export async function tracingCost(
  demo: DemoUpstream,
  settings: LoadSettings,
): Promise<TracingCostReport> {
  const sink = await startSink();
  const children: Child[] = [];
  try {
    const [page] = pageTargets(
      { upstream: demo.url, proxy: demo.url, gateway: "http://unused" },
      DEMO_KEY,
    ).filter((target) => target.name === "gateway");
    const targets: Target[] = [];
    for (const [name, { env }] of Object.entries(TRACING_ROWS)) {
      const traced = name === "trace:off" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, ...env };
      const started = await startGateway(demo.url, DEMO_KEY, { ...UNSHARED_ENV, ...traced });
      children.push(started);
      const target: Target = {
        ...(page as Target),
        name: name as Target["name"],
        url: `http://127.0.0.1:${started.port}/graphql`,
        pid: started.pid,
      };
      // Under load every answer must equal the untraced gateway's: tracing changes no byte.
      const answer = await sendOnceRaw(target);
      targets.push({ ...target, expectBody: targets[0]?.expectBody ?? answer });
    }
    const before = { ...sink.counts };
    const table = await throughput(targets, demo, settings);
    // The batch of spans still buffered goes out with each gateway's shutdown.
    await Promise.all(children.splice(0).map((started) => started.stop()));
    return {
      throughput: table,
      exports: sink.counts.exports - before.exports,
      exportedBytes: sink.counts.bytes - before.bytes,
    };
  } finally {
    await Promise.all(children.map((started) => started.stop()));
    await sink.close();
  }
}

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/** Section 6: the three rows and what tracing adds to a request's CPU time. */
export function formatTracingCost(report: TracingCostReport): string[] {
  const off = report.throughput["trace:off"]?.cpuUsPerRequest ?? Number.NaN;
  const lines = [
    "6. Cost of tracing: the unshared page query, spans exported over OTLP/HTTP (protobuf) to a local sink (medians over rounds)",
    `   ${pad("target", 30)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("µs CPU/req", 12)}${pad("added CPU", 12)}rounds req/s`,
  ];
  for (const [name, { label }] of Object.entries(TRACING_ROWS)) {
    const row = report.throughput[name];
    if (row === undefined) continue;
    const added = name === "trace:off" ? "" : `${num((row.cpuUsPerRequest / off - 1) * 100, 1)} %`;
    lines.push(
      `   ${pad(label, 30)}${pad(num(row.requestsPerSecond), 10)}${pad(num(row.p50Ms, 1), 9)}${pad(num(row.p99Ms, 1), 9)}${pad(num(row.cpuUsPerRequest), 12)}${pad(added, 12)}${row.rounds.map((r) => num(r)).join(" ")}`,
    );
  }
  lines.push(
    `   the sink received ${report.exports} exports, ${num(report.exportedBytes / 1024, 0)} KiB${report.exports === 0 ? " (NO SPANS: the traced rows measured nothing)" : ""}`,
  );
  return lines;
}
