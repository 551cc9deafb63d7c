import { statSync, utimesSync } from "node:fs";
import path from "node:path";
import { ROOT, startWholeScript } from "./processes.js";
import { PAGE_QUERY } from "./targets.js";

/**
 * `cold`: dist/ is stale (as after editing a source), so the start line builds first.
 * `warm`: dist/ is up to date (a plain restart), so it skips the build.
 */
export type StartupKind = "cold" | "warm";

/** How long one start took until the first page query was answered. */
export interface StartupResult {
  kind: StartupKind;
  /** Spawn of the start script until the port is open. */
  listeningMs: number;
  /** Spawn until the first successful page query (data, no errors). */
  firstAnswerMs: number;
  /**
   * Whether the start line rebuilt dist/index.js. Should be true for `cold` and false for `warm`;
   * a warm run that rebuilt means a source changed during the bench, and its time is a cold one.
   */
  rebuilt: boolean;
}

const BUNDLE = path.join(ROOT, "dist", "index.js");

/** dist/index.js's mtime, or null when there is none. */
const bundleMtime = () => statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? null;

/**
 * Runs the whole `npm start` line (its build step, then the server) and times the first successful
 * answer. For `cold`, dist/index.js is first dated back to 1970, so the build step finds it stale
 * exactly as after a source change, while the file stays in place for anyone else using it. npm's
 * own start-up (≈ 0.1–0.3 s) is left out: it is the same for any server and not the gateway's to
 * fix.
 */
export async function measureStartup(
  baseUrl: string,
  apiKey: string,
  kind: StartupKind,
): Promise<StartupResult> {
  if (kind === "cold" && bundleMtime() !== null) utimesSync(BUNDLE, 0, 0);
  const before = bundleMtime();
  const started = performance.now();
  const child = await startWholeScript(baseUrl, apiKey);
  try {
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${child.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: PAGE_QUERY }),
      }).catch(() => undefined);
      const body = (await response?.json()) as { data?: unknown; errors?: unknown } | undefined;
      if (response?.status === 200 && body?.data && !body.errors) break;
      if (performance.now() - started > 20_000) throw new Error("no successful answer in 20 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return {
      kind,
      listeningMs: child.readyMs,
      firstAnswerMs: performance.now() - started,
      rebuilt: bundleMtime() !== before,
    };
  } finally {
    await child.stop();
  }
}
