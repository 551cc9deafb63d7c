/**
 * Gateway replicas as operators run them: separate `npm start` processes (the entry point through
 * tsx, so the sources under test are what runs) sharing one real Redis, behind the round-robin
 * balancer of ./round-robin.ts. Used by test/scale-out.test.ts and the federation test. (The
 * in-process replicas of ./replicas.ts and ./shared-replicas.ts are for tests that read a
 * replica's runtime.)
 */
import { DEMO_KEY, type DemoUpstream } from "../../src/demo-upstream/server.js";
import type { TestRedis } from "./redis.js";
import { type RoundRobin, startRoundRobin } from "./round-robin.js";
import { listeningUrl, type Spawned, spawnLogged, waitFor } from "./spawned.js";

/** One gateway process. */
export interface ReplicaProcess {
  readonly name: string;
  /** `http://127.0.0.1:<port>`: the replica itself, bypassing the balancer. */
  readonly base: string;
  /** `…/graphql` on the replica itself. */
  readonly graphqlUrl: string;
  readonly process: Spawned;
  /** Its stdout so far (pino JSON lines). */
  log(): string;
  /** The sum of a metric's samples on its `/metrics`, over those that carry `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Its `/readiness` answer. */
  readiness(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** SIGKILL: a crash, as the other replicas and the balancer see it. */
  kill(): Promise<void>;
}

/** Starts one replica against the demo upstream, with `env` on top of the defaults here. */
export async function startReplicaProcess(
  name: string,
  demo: DemoUpstream,
  env: Record<string, string>,
): Promise<ReplicaProcess> {
  const spawned = spawnLogged(process.execPath, ["--import", "tsx", "src/index.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      LLAMA_CLOUD_BASE_URL: demo.url,
      LLAMA_CLOUD_API_KEY: DEMO_KEY,
      // Piped stdout would be JSON anyway; said outright, since the tests read the lines.
      LOG_FORMAT: "json",
      // Behind one balancer that appends the client's address to X-Forwarded-For.
      TRUST_PROXY: "1",
      ...env,
    },
  });
  let url: string;
  try {
    url = await listeningUrl(spawned, 60_000);
  } catch (error) {
    spawned.kill();
    throw error;
  }
  const base = `http://127.0.0.1:${new URL(url).port}`;
  return {
    name,
    base,
    graphqlUrl: `${base}/graphql`,
    process: spawned,
    log: () => spawned.output().stdout,
    async metric(metric, labels = {}) {
      return sumSamples(await (await fetch(`${base}/metrics`)).text(), metric, labels);
    },
    async readiness() {
      const response = await fetch(`${base}/readiness`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async kill() {
      const { child } = spawned;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      spawned.kill();
      await exited;
    },
  };
}

/**
 * The sum of the samples of `name` (exactly that name, not its `_bucket`/`_sum` relatives) in
 * Prometheus text, over those whose labels include `labels`.
 */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const written = match[2] ?? "";
    const matches = Object.entries(labels).every(([key, value]) =>
      written.includes(`${key}="${value}"`),
    );
    if (matches) sum += Number(match[3]);
  }
  return sum;
}

/** Replica processes sharing one Redis behind one balancer. */
export interface Cluster {
  readonly replicas: ReplicaProcess[];
  readonly balancer: RoundRobin;
  /** `…/graphql` through the balancer. */
  readonly url: string;
  /** Stops the balancer and every replica still running. */
  close(): Promise<void>;
}

/** Starts `count` replicas (at once) against one demo upstream and one Redis, and a balancer. */
export async function startCluster(
  demo: DemoUpstream,
  redis: TestRedis,
  env: Record<string, string> = {},
  count = 2,
): Promise<Cluster> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      startReplicaProcess(`replica-${index + 1}`, demo, { REDIS_URL: redis.url, ...env }),
    ),
  );
  const replicas = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    await Promise.all(replicas.map((replica) => replica.kill()));
    throw failure.reason;
  }
  // Sharing starts once each replica has reached Redis; until then each would fall back.
  await waitFor(
    () => replicas.every((replica) => replica.log().includes("redis available")),
    "every replica to reach Redis",
  );
  const balancer = await startRoundRobin(replicas.map((replica) => replica.base));
  return {
    replicas,
    balancer,
    url: `${balancer.url}/graphql`,
    async close() {
      await balancer.close();
      await Promise.all(replicas.map((replica) => replica.kill()));
    },
  };
}
