// Compiles the gateway to one ES module, dist/index.js, for `npm start`. Dependencies stay in
// node_modules (`packages: "external"`): only our own TypeScript is bundled. Running the bundle
// with plain Node starts in about half the time of `tsx src/index.ts`, whose loader hooks see
// every module the process imports (see BENCHMARKS.md, start-up). Plain JavaScript, so that it
// needs no loader itself.
import { build } from "esbuild";

await build({
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
