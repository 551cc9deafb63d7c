// `npm start`'s build step: runs scripts/build.mjs only when dist/index.js is missing or older
// than something it is built from, so a restart with an unchanged tree skips esbuild (≈ 1 s of a
// cold start, see BENCHMARKS.md) and goes straight to `node dist/index.js`. `npm run build` still
// always builds. Plain JavaScript and no imports beyond node: so the check itself costs a few ms.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = path.join(root, "dist", "index.js");

/**
 * The newest modification among `target` and, for a directory, everything under it. Directories
 * count too: deleting or renaming a file changes only its directory's mtime, and a file moved in
 * keeps its old one.
 */
function newest(target) {
  const stats = statSync(target, { throwIfNoEntry: false });
  if (stats === undefined) return { file: target, mtimeMs: 0 };
  let found = { file: target, mtimeMs: stats.mtimeMs };
  if (stats.isDirectory()) {
    for (const entry of readdirSync(target)) {
      const inner = newest(path.join(target, entry));
      if (inner.mtimeMs > found.mtimeMs) found = inner;
    }
  }
  return found;
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
function staleReason() {
  const built = statSync(output, { throwIfNoEntry: false });
  if (built === undefined) return "dist/index.js is missing";
  // What the bundle is made of: our sources, the build script, package.json (its `type` and
  // dependencies decide how imports resolve) and tsconfig.json (esbuild reads its compile options).
  const inputs = ["src", "scripts/build.mjs", "package.json", "tsconfig.json"];
  for (const input of inputs) {
    const { file, mtimeMs } = newest(path.join(root, input));
    // `>=`, not `>`: on a file system with coarse timestamps, a source saved in the same tick as
    // the last build may be newer; an extra build is cheaper than serving stale code.
    if (mtimeMs >= built.mtimeMs)
      return `${path.relative(root, file)} changed since the last build`;
  }
  return null;
}

const reason = staleReason();
if (reason !== null) {
  process.stderr.write(`Building dist/ (${reason})…\n`);
  await import("./build.mjs");
}
