import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ROOT } from "./processes.js";

/**
 * Code that replaces plain library code for speed stays only if it earns it: at least 3 % of the
 * unshared page query's throughput (DEVELOPERS.md, "Simple beats a few percent"). Each such piece
 * has a patch in bench/ablations/ that puts the plain version back; the bench builds the gateway
 * once per patch and runs it beside the unshared gateway, so one run says what each piece buys.
 */

const ABLATIONS_DIR = path.join(ROOT, "bench", "ablations");

/** A gateway build with one optimisation taken out. */
export interface Ablation {
  /** The patch's name: `cursor-encoder` for bench/ablations/cursor-encoder.patch. */
  readonly name: string;
  /** The built gateway, to run as `node <entry>`. */
  readonly entry: string;
}

/** Every patch in bench/ablations/, by name. */
export function ablationNames(): string[] {
  return readdirSync(ABLATIONS_DIR)
    .filter((file) => file.endsWith(".patch"))
    .map((file) => file.slice(0, -".patch".length))
    .sort();
}

/**
 * Copies `src/` beside the results, applies the patch and bundles it as `npm start` bundles the
 * gateway. A patch that no longer applies stops the bench with its name: it has to be made again
 * against the code it measures, or the figure would measure something else.
 */
export async function buildAblation(name: string): Promise<Ablation> {
  const relative = path.join("bench", "results", "ablations", name);
  const dir = path.join(ROOT, relative);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(ROOT, "src"), path.join(dir, "src"), { recursive: true });
  try {
    execFileSync(
      "git",
      ["apply", "-p1", `--directory=${relative}`, path.join(ABLATIONS_DIR, `${name}.patch`)],
      { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (error) {
    const said = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    throw new Error(`bench/ablations/${name}.patch no longer applies to src/: ${said}`);
  }
  const entry = path.join(dir, "dist", "index.js");
  // The same options as scripts/build.mjs: dependencies resolve from the repository's
  // node_modules, up the tree from the bundle.
  await build({
    entryPoints: [path.join(dir, "src", "index.ts")],
    outfile: entry,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
  return { name, entry };
}
