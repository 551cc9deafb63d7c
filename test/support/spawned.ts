import { type ChildProcess, spawn } from "node:child_process";

/** A process started by a test, with everything it has written so far. */
export interface Spawned {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Kills it and, when it was started `detached`, every process in its group (npm's children). */
  kill(): void;
}

/**
 * Spawns `command` with exactly `env` (nothing inherited). `detached` puts it in a process group
 * of its own, so that `kill()` also reaches what it started: `npm start` runs the gateway in a
 * grandchild that killing npm alone would leave listening.
 */
export function spawnLogged(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; detached?: boolean },
): Spawned {
  const detached = options.detached ?? false;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    kill() {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        // A negative pid signals the whole group this child leads.
        process.kill(detached ? -child.pid : child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    },
  };
}

/** Polls until `predicate` holds, or fails naming `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const LISTENING = /GraphQL gateway on (http:\/\/localhost:\d+\/graphql)/;

/** Waits for the gateway's "GraphQL gateway on <url>" log line and returns that URL. */
export async function listeningUrl(spawned: Spawned, timeoutMs = 15_000): Promise<string> {
  await waitFor(
    () => LISTENING.test(spawned.output().stdout) || spawned.child.exitCode !== null,
    "the listening line",
    timeoutMs,
  );
  const url = LISTENING.exec(spawned.output().stdout)?.[1];
  if (url === undefined) {
    const { stdout, stderr } = spawned.output();
    throw new Error(`exited (${spawned.child.exitCode}) before listening:\n${stdout}\n${stderr}`);
  }
  return url;
}

/** Asks the gateway at `url` for the first `first` job ids. */
export async function firstJobIds(url: string, first: number): Promise<string[]> {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `{ parseJobs(first: ${first}) { edges { node { id } } } }` }),
  });
  const body = (await answer.json()) as {
    data: { parseJobs: { edges: Array<{ node: { id: string } }> } } | null;
    errors?: unknown;
  };
  if (body.data === null) throw new Error(`no data: ${JSON.stringify(body.errors)}`);
  return body.data.parseJobs.edges.map((edge) => edge.node.id);
}
