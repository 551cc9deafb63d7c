// Compiles the gateway to one ES module, dist/index.js, for `npm start` and for the packed
// package's `parse-jobs-graphql` binary. Dependencies stay in node_modules
// (`packages: "external"`): only our own TypeScript is bundled, so the bundle needs exactly the
// packages in `dependencies` at run time, and neither esbuild nor tsx. Running the bundle with
// plain Node starts in about half the time of `tsx src/index.ts`, whose loader hooks see every
// module the process imports (see BENCHMARKS.md, start-up). Plain JavaScript, so that it needs no
// loader itself. `npm start` builds only when dist/ is stale (scripts/build-if-stale.mjs imports
// this file); `npm run build` and `npm pack` (prepack) always build.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

await build({
  // Paths from the repository root, whatever directory the build is started from.
  absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  // npm links `bin` entries as executables that the shell runs directly; the shebang says with
  // what. It must be the file's first line, so it goes in through esbuild (which keeps the source
  // map's line offsets right) rather than in src/index.ts.
  banner: { js: "#!/usr/bin/env node" },
  sourcemap: true,
  logLevel: "warning",
});
