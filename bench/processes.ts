import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, so every child runs where `npm start` would. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A child process of the bench, with the port it said it listens on. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Milliseconds from spawn until the ready line was printed. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

/**
 * Spawns `command` and waits for a stdout line matching `ready`, whose first group is the port.
 * The child is killed if it exits or stays silent for `timeoutMs`, so a broken build fails fast.
 *
 * With `stdoutFile`, stdout goes to that file (read for the ready line) instead of a pipe into
 * this process: the gateway writes an access-log line per request, and this process hosts the
 * demo upstream, which should not spend its CPU reading them, as a log shipper would elsewhere.
 */
export function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 20_000,
  stdoutFile?: string,
): Promise<Child> {
  const started = performance.now();
  let stdoutFd: number | undefined;
  if (stdoutFile !== undefined) {
    mkdirSync(path.dirname(stdoutFile), { recursive: true });
    stdoutFd = openSync(stdoutFile, "w");
  }
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", stdoutFd ?? "pipe", "pipe"],
  });
  // The child holds its own copy of the descriptor.
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let output = "";
    let poll: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      clearInterval(poll);
      void stop();
      reject(
        new Error(`${command} ${args.join(" ")} was not ready after ${timeoutMs} ms:\n${output}`),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (!match) return;
      clearTimeout(timer);
      clearInterval(poll);
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      resolve({
        process: child,
        pid: child.pid ?? -1,
        port: Number(match[1]),
        readyMs: performance.now() - started,
        stop,
      });
    };
    if (stdoutFile === undefined) {
      child.stdout?.on("data", onData);
    } else {
      poll = setInterval(() => {
        output = "";
        onData(readFileSync(stdoutFile, "utf8"));
      }, 20);
    }
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(
        new Error(`${command} ${args.join(" ")} exited (${code}) before it was ready:\n${output}`),
      );
    });
  });
}

/**
 * CPU time a process has used so far (user and system), in microseconds, read from /proc (Linux);
 * null elsewhere. Unlike req/s it does not move with how busy the rest of the machine is.
 */
export function cpuMicros(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces, hence the split at ") ").
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    // Linux reports in clock ticks of 10 ms (USER_HZ 100) on every architecture we run on.
    return Number.isFinite(ticks) ? ticks * 10_000 : null;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes, read from /proc (Linux); null elsewhere. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/**
 * `npm start` split at its last `&&`: the build steps before it, and the command that serves.
 * Reading it from package.json keeps the bench on the path users take.
 */
export function startScript(): { build: string | null; serve: string } {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const start = pkg.scripts.start ?? "";
  const split = start.lastIndexOf("&&");
  return split === -1
    ? { build: null, serve: start }
    : { build: start.slice(0, split).trim(), serve: start.slice(split + 2).trim() };
}

/** Environment for npm scripts run without npm: node_modules/.bin first on PATH. */
export const SCRIPT_ENV = {
  PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
};

const LISTENING = /GraphQL gateway on http:\/\/localhost:(\d+)\/graphql/;

/**
 * The gateway on `baseUrl` as its own process, started by `npm start`'s serving command, or
 * from another bundle (`entry`: an ablation's, see bench/ablations.ts) the same way.
 */
export function startGateway(
  baseUrl: string,
  apiKey: string,
  extraEnv: Record<string, string> = {},
  entry?: string,
): Promise<Child> {
  const serve = entry === undefined ? startScript().serve : `node --enable-source-maps ${entry}`;
  return startChild(
    "sh",
    ["-c", `exec ${serve}`],
    {
      ...SCRIPT_ENV,
      LLAMA_CLOUD_BASE_URL: baseUrl,
      LLAMA_CLOUD_API_KEY: apiKey,
      PORT: "0",
      ...extraEnv,
    },
    LISTENING,
    20_000,
    path.join(ROOT, "bench", "results", `gateway-${++gatewaysStarted}.log`),
  );
}

let gatewaysStarted = 0;

/** Environment that lets the bench ask the gateway for a full GC (see bench/gc-on-signal.mjs). */
export const GC_ON_SIGNAL_ENV = {
  NODE_OPTIONS: `--import=${new URL("./gc-on-signal.mjs", import.meta.url).href}`,
};

/** Asks a gateway started with GC_ON_SIGNAL_ENV for a full GC, then reads its RSS. */
export async function rssAfterGc(pid: number): Promise<number | null> {
  process.kill(pid, "SIGUSR2");
  await new Promise((resolve) => setTimeout(resolve, 300));
  return rssBytes(pid);
}

/** The whole `npm start` line (build and serve), for start-up timing. */
export function startWholeScript(baseUrl: string, apiKey: string): Promise<Child> {
  const script = startScript();
  const line = script.build ? `${script.build} && exec ${script.serve}` : `exec ${script.serve}`;
  return startChild(
    "sh",
    ["-c", line],
    { ...SCRIPT_ENV, LLAMA_CLOUD_BASE_URL: baseUrl, LLAMA_CLOUD_API_KEY: apiKey, PORT: "0" },
    LISTENING,
  );
}

/** The bench's bare keep-alive proxy in front of `baseUrl`, as its own process. */
export function startProxy(baseUrl: string, client: "node" | "undici" = "node"): Promise<Child> {
  return startChild(
    process.execPath,
    ["--import", "tsx", "bench/proxy.ts"],
    { BENCH_UPSTREAM: baseUrl, BENCH_PROXY_CLIENT: client },
    /listening (\d+)/,
  );
}
