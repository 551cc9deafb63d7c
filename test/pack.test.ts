import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { firstJobIds, listeningUrl, type Spawned, spawnLogged } from "./support/spawned.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
// npm's shims and the binary's `#!/usr/bin/env node` both find Node on PATH: this one first.
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;

/** Whether the npm registry answers: installing the tarball fetches its runtime dependencies. */
async function registryReachable(): Promise<boolean> {
  try {
    await run("npm", ["view", "graphql", "version"], { timeout: 30_000, env: process.env });
    return true;
  } catch {
    return false;
  }
}

const temporary: string[] = [];
const running: Spawned[] = [];
afterAll(() => {
  for (const spawned of running.splice(0)) spawned.kill();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

describe("npm pack", () => {
  it("makes a tarball that installs without dev dependencies and serves the demo", {
    timeout: 240_000,
  }, async (context) => {
    if (!(await registryReachable())) {
      context.skip("the npm registry is unreachable (`npm view graphql version` failed)");
    }
    const packed = temporaryDir("pack-");
    // `prepack` builds dist/ first, as it would for anyone packing a fresh clone.
    await run("npm", ["pack", "--pack-destination", packed], {
      cwd: ROOT,
      env: process.env,
      timeout: 120_000,
    });
    const tarball = readdirSync(packed).find((name) => /^parse-jobs-graphql-.+\.tgz$/.test(name));
    if (tarball === undefined) throw new Error(`no tarball in ${packed}`);

    const installed = temporaryDir("install-");
    // A package.json of its own, so npm installs here and not into some folder above.
    writeFileSync(path.join(installed, "package.json"), '{ "private": true }\n');
    await run(
      "npm",
      [
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts=false",
        path.join(packed, tarball),
      ],
      { cwd: installed, env: { ...process.env, PATH }, timeout: 180_000 },
    );
    const pkg = path.join(installed, "node_modules", "parse-jobs-graphql");
    // Only what runs is shipped: the bundle, not the TypeScript it is built from.
    expect(existsSync(path.join(pkg, "dist", "index.js"))).toBe(true);
    expect(existsSync(path.join(pkg, "src"))).toBe(false);

    // The linked binary itself (its shebang, its executable bit), with no configuration: demo mode.
    const gateway = spawnLogged(
      path.join(installed, "node_modules", ".bin", "parse-jobs-graphql"),
      [],
      {
        cwd: installed,
        env: { PATH, PORT: "0" },
      },
    );
    running.push(gateway);
    const url = await listeningUrl(gateway, 30_000);
    expect(gateway.output().stdout).toContain("Demo mode");
    expect(await firstJobIds(url, 2)).toHaveLength(2);
    gateway.kill();
  });
});
