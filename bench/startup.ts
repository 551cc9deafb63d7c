import { startWholeScript } from "./processes.js";
import { PAGE_QUERY } from "./targets.js";

/** How long one cold start took until the first page query was answered. */
export interface StartupResult {
  /** Spawn of the start script until the port is open. */
  listeningMs: number;
  /** Spawn until the first successful page query (data, no errors). */
  firstAnswerMs: number;
}

/**
 * Starts the gateway with the line `npm start` runs (build included) and times the first
 * successful answer. npm's own start-up (≈ 0.1–0.3 s) is left out: it is the same for any server
 * and not the gateway's to fix.
 */
export async function measureStartup(baseUrl: string, apiKey: string): Promise<StartupResult> {
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
    return { listeningMs: child.readyMs, firstAnswerMs: performance.now() - started };
  } finally {
    await child.stop();
  }
}
