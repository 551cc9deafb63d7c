import { once } from "node:events";
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  firstJobIds,
  listeningUrl,
  type Spawned,
  spawnLogged,
  waitFor,
} from "./support/spawned.js";

const spawned: Spawned[] = [];
const temporary: string[] = [];
afterEach(() => {
  for (const group of spawned.splice(0)) group.kill();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start`'s entry point with the given environment (nothing else inherited but PATH). */
function start(env: Record<string, string>): Spawned {
  const started = spawnLogged(process.execPath, ["--import", "tsx", "src/index.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  spawned.push(started);
  return started;
}

describe("npm start", () => {
  it("without configuration serves the demo upstream, GraphiQL and queries", async () => {
    const { output } = start({ PORT: "0" });
    await waitFor(() => /GraphQL gateway on (\S+)/.test(output().stdout), "the listening line");
    const url = /GraphQL gateway on (\S+)/.exec(output().stdout)?.[1] as string;
    expect(output().stdout).toContain("Demo mode");
    // It says how to leave demo mode.
    expect(output().stdout).toContain(
      "To leave it, set LLAMA_CLOUD_API_KEY, or LLAMA_CLOUD_BASE_URL, or NODE_ENV=production",
    );

    const answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "{ parseJobs(first: 2) { totalCount edges { node { id } } } }",
      }),
    });
    const body = (await answer.json()) as {
      data: { parseJobs: { totalCount: number | null; edges: unknown[] } };
    };
    // The embedded demo, like LlamaCloud unless asked, sends no total_size.
    expect(body.data.parseJobs.totalCount).toBeNull();
    expect(body.data.parseJobs.edges).toHaveLength(2);

    const page = await fetch(url, { headers: { accept: "text/html" } });
    const html = await page.text();
    expect(page.headers.get("content-type")).toContain("text/html");
    // The example query is preloaded, and GraphiQL is bundled rather than fetched from a CDN.
    expect(html).toContain("RecentParseJobs");
    expect(html).not.toContain("unpkg.com");
  });

  it("stops on a bad variable with a message that names it", async () => {
    const { child, output } = start({ PORT: "not-a-port" });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(output().stderr).toContain(
      'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "not-a-port")',
    );
  });

  it("with only a base URL, says that callers must bring their own key, and never prints one", async () => {
    const { output } = start({ PORT: "0", LLAMA_CLOUD_BASE_URL: "http://127.0.0.1:9" });
    await waitFor(() => output().stdout.includes("GraphQL gateway on"), "the listening line");
    expect(output().stdout).toContain("every caller must send its own Authorization");
    expect(output().stdout).not.toContain("Demo mode");
  });

  it("with a key, never prints it", async () => {
    const key = "llx-start-test-secret-42";
    const { output } = start({
      PORT: "0",
      LLAMA_CLOUD_API_KEY: key,
      LLAMA_CLOUD_BASE_URL: "http://127.0.0.1:9",
    });
    await waitFor(() => output().stdout.includes("GraphQL gateway on"), "the listening line");
    expect(`${output().stdout}${output().stderr}`).not.toContain(key);
    expect(output().stdout).toContain("anyone who can reach it reads that account's jobs");
  });

  it("in production without key or base URL, serves no demo: LlamaCloud, with callers' own keys", async () => {
    const { output } = start({ PORT: "0", NODE_ENV: "production" });
    await waitFor(() => /GraphQL gateway on (\S+)/.test(output().stdout), "the listening line");
    const url = /GraphQL gateway on (\S+)/.exec(output().stdout)?.[1] as string;
    const log = output().stdout;
    expect(log).not.toMatch(/demo/i);
    expect(log).toContain("(upstream https://api.cloud.llamaindex.ai)");
    expect(log).toContain("every caller must send its own Authorization");
    // Refused before any upstream call (so this test never reaches the internet): no key at all.
    const answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ parseJobs(first: 2) { edges { node { id } } } }" }),
    });
    const body = (await answer.json()) as {
      data: unknown;
      errors: Array<{ extensions: { code: string } }>;
    };
    expect(body.data).toBeNull();
    expect(body.errors.map((error) => error.extensions.code)).toEqual(["UNAUTHENTICATED"]);
  });
});

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * A copy of what `npm start` builds from, in a temporary folder with no dist/, sharing this
 * checkout's node_modules. A copy, because the test touches sources and reads dist/'s mtime:
 * in the checkout, anyone editing src/ meanwhile would make a rebuild the test did not cause.
 */
function copyOfTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "start-"));
  temporary.push(dir);
  for (const entry of ["src", "scripts", "package.json", "tsconfig.json"]) {
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Runs `npm start` in `dir` until the gateway answers, then stops it; returns its stderr. */
async function npmStart(dir: string): Promise<string> {
  const npm = spawnLogged("npm", ["start"], {
    cwd: dir,
    env: {
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
      ...(process.env.HOME === undefined ? {} : { HOME: process.env.HOME }),
      PORT: "0",
    },
    detached: true,
  });
  spawned.push(npm);
  const url = await listeningUrl(npm, 30_000);
  expect(await firstJobIds(url, 2)).toHaveLength(2);
  npm.kill();
  return npm.output().stderr;
}

describe("npm start's build step", () => {
  it("builds dist/ only when a source is newer than it", { timeout: 90_000 }, async () => {
    const dir = copyOfTree();
    const bundle = path.join(dir, "dist", "index.js");

    expect(await npmStart(dir)).toContain("Building dist/ (dist/index.js is missing)");
    const built = statSync(bundle).mtimeMs;

    // Unchanged tree: no esbuild, the same bundle.
    expect(await npmStart(dir)).not.toContain("Building dist/");
    expect(statSync(bundle).mtimeMs).toBe(built);

    // A source saved after the build (its mtime moved past the bundle's): rebuilt.
    const later = new Date(built + 2_000);
    utimesSync(path.join(dir, "src", "cursor.ts"), later, later);
    expect(await npmStart(dir)).toContain(
      "Building dist/ (src/cursor.ts changed since the last build)",
    );
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built);
  });
});
