import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type Spawned, spawnLogged, waitFor } from "./support/spawned.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const READY = /Supergraph \(Hive Gateway\) on (http:\/\/127\.0\.0\.1:(\d+)\/graphql)/;

/** Whether any process of the group `pid` leads is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

let demo: Spawned | undefined;
afterEach(() => {
  // A failed assertion must not leave npm, tsx or the demo listening.
  demo?.kill();
  demo = undefined;
});

describe("npm run demo:supergraph", () => {
  it("serves documents with their parse jobs' statuses, offline, then stops on SIGTERM", async () => {
    demo = spawnLogged("npm", ["run", "demo:supergraph"], {
      cwd: ROOT,
      // No LlamaCloud key or base URL: the demo must need nothing but itself.
      env: {
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
        ...(process.env.HOME === undefined ? {} : { HOME: process.env.HOME }),
        PORT: "0",
      },
      // Its own process group: SIGTERM then reaches npm, tsx and the demo, as Ctrl-C would.
      detached: true,
    });
    const spawned = demo;
    await waitFor(
      () => READY.test(spawned.output().stdout) || spawned.child.exitCode !== null,
      "the ready line",
      30_000,
    );
    const match = READY.exec(spawned.output().stdout);
    if (match === null) {
      const { stdout, stderr } = spawned.output();
      throw new Error(`exited (${spawned.child.exitCode}) before ready:\n${stdout}\n${stderr}`);
    }
    const [, url = "", port = ""] = match;
    expect(Number(port)).toBeGreaterThan(0);
    // The printed example query is the one a reader would paste.
    expect(spawned.output().stdout).toContain(
      "{ documents(first: 10) { edges { node { title parseJob { id status } } } } }",
    );

    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        query: "{ documents(first: 10) { edges { node { title parseJob { id status } } } } }",
      }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      data?: {
        documents: {
          edges: Array<{
            node: { title: string; parseJob: { id: string; status: string } | null };
          }>;
        };
      };
      errors?: unknown[];
    };
    expect(answer.errors).toBeUndefined();
    const nodes = answer.data?.documents.edges.map((edge) => edge.node) ?? [];
    // One document per status, each resolved through the parse-jobs subgraph, and one unparsed.
    expect(nodes.map((node) => node.parseJob?.status ?? null)).toEqual([
      "PENDING",
      "RUNNING",
      "COMPLETED",
      "FAILED",
      "CANCELLED",
      null,
    ]);
    expect(nodes.every((node) => node.title.length > 0)).toBe(true);
    expect(nodes.slice(0, 5).every((node) => typeof node.parseJob?.id === "string")).toBe(true);

    const pid = spawned.child.pid;
    if (pid === undefined) throw new Error("the demo has no pid");
    const exited = once(spawned.child, "exit");
    // Ctrl-C signals the terminal's whole process group: npm, tsx and the demo each get it.
    process.kill(-pid, "SIGTERM");
    // npm itself dies of the signal (it does not wait to exit 0); the demo closes what it opened.
    await exited;
    await waitFor(() => spawned.output().stdout.includes("stopped"), "the demo's stopped line");
    await waitFor(() => !groupAlive(pid), "every process of the demo to exit");
    // Nothing is left listening on the port it printed.
    await expect(fetch(url, { method: "POST" })).rejects.toThrow();
  }, 60_000);
});
