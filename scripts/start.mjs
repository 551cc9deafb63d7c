// `npm start` in one Node process: build dist/ if a source changed since the last build
// (scripts/build-if-stale.mjs), then run it. Two processes (`check && node dist/index.js`) paid
// for Node's own start twice, about a sixth of a warm restart (BENCHMARKS.md, start-up).
await import("./build-if-stale.mjs");
await import("../dist/index.js");
