import { DEMO_KEY, type DemoUpstream } from "../src/demo-upstream/server.js";
import { startRedis, type TestRedis } from "../test/support/redis.js";
import { type CallCase, listAllIds, poster, walkCase } from "./calls.js";
import { type LoadSettings, throughput } from "./page-load.js";
import { type Child, startChild, startGateway } from "./processes.js";
import type { BenchReport, SCALE_OUT_ROWS } from "./report.js";
import { pageTargets, sendOnceRaw, type Target } from "./targets.js";

/** What the two-replica section measured (`npm run bench`, section 5). */
export interface ScaleOutReport {
  /** The page query against each row, as section 1 measures its targets. */
  throughput: BenchReport["throughput"];
  /** Two replicas ÷ one, each behind the same balancer: what the second replica buys. */
  pairToOne: number;
  /** One replica with the cache in Redis ÷ the same with it in process: the hop's price. */
  redisToLocal: number;
  /** Upstream calls of a full walk through the pair, cold and then from the shared cache. */
  calls: CallCase[];
}

/**
 * Both response-cache lifetimes at a minute: every page of the demo holds PENDING or RUNNING
 * jobs, whose answers would otherwise live 1 s, and the rows would measure re-reads instead.
 */
const CACHE_ENV = { RESPONSE_CACHE_TTL_MS: "60000", RESPONSE_CACHE_ACTIVE_TTL_MS: "60000" };

/** The round-robin balancer (bench/round-robin.ts) as its own process, in front of `targets`. */
function startBalancer(targets: readonly Child[]): Promise<Child> {
  return startChild(
    process.execPath,
    ["--import", "tsx", "bench/round-robin.ts"],
    { BENCH_TARGETS: targets.map((target) => `http://127.0.0.1:${target.port}`).join(",") },
    /listening (\d+)/,
  );
}

/**
 * Two replicas sharing one real Redis (a redis-server of its own, as the tests start it) behind
 * the round-robin balancer, against one replica: the page query's req/s with the response cache
 * in Redis and in process, and a full walk's upstream calls through the pair, cold and warm.
 * Everything it starts is stopped before it returns.
 */
export async function scaleOut(
  demo: DemoUpstream,
  settings: LoadSettings,
): Promise<ScaleOutReport> {
  const children: Child[] = [];
  let redis: TestRedis | undefined;
  const child = async (start: Promise<Child>) => {
    const started = await start;
    children.push(started);
    return started;
  };
  try {
    redis = await startRedis();
    const shared = { ...CACHE_ENV, REDIS_URL: redis.url };
    const [local, first, second] = await Promise.all([
      child(startGateway(demo.url, DEMO_KEY, CACHE_ENV)),
      child(startGateway(demo.url, DEMO_KEY, shared)),
      child(startGateway(demo.url, DEMO_KEY, shared)),
    ]);
    const [toOne, toTwo] = await Promise.all([
      child(startBalancer([first])),
      child(startBalancer([first, second])),
    ]);

    // Calls first, while the cache is empty: a walk through the pair, then the same walk again
    // with every page on the other replica (one request in between shifts the rotation).
    const pair = poster(`http://127.0.0.1:${toTwo.port}/graphql`);
    const allIds = await listAllIds(demo.url, DEMO_KEY);
    const cold = await walkCase(pair, demo, allIds, 20, 100, "pair: full walk, first: 20, cold");
    await pair("{ __typename }");
    const warm = await walkCase(
      pair,
      demo,
      allIds,
      20,
      100,
      "pair: same walk, each page other replica",
    );
    const calls: CallCase[] = [cold, { ...warm, ideal: 0 }];
    demo.reset();

    const [page] = pageTargets(
      { upstream: demo.url, proxy: demo.url, gateway: "http://unused" },
      DEMO_KEY,
    ).filter((target) => target.name === "gateway");
    const row = (name: keyof typeof SCALE_OUT_ROWS, port: number, pids: number[]): Target => ({
      ...(page as Target),
      name,
      url: `http://127.0.0.1:${port}/graphql`,
      pids,
    });
    const targets = [
      row("scale:local", local.port, [local.pid]),
      row("scale:redis", first.port, [first.pid]),
      row("scale:lb-1", toOne.port, [first.pid]),
      row("scale:lb-2", toTwo.port, [first.pid, second.pid]),
    ];
    // The first answer fills the cache; under load every answer must equal the cached one.
    for (const [index, target] of targets.entries()) {
      await sendOnceRaw(target);
      targets[index] = { ...target, expectBody: await sendOnceRaw(target) };
    }
    const table = await throughput(targets, demo, settings);
    const rate = (name: keyof typeof SCALE_OUT_ROWS) =>
      table[name]?.requestsPerSecond ?? Number.NaN;
    return {
      throughput: table,
      pairToOne: rate("scale:lb-2") / rate("scale:lb-1"),
      redisToLocal: rate("scale:redis") / rate("scale:local"),
      calls,
    };
  } finally {
    await Promise.all(children.map((started) => started.stop()));
    await redis?.close();
  }
}
