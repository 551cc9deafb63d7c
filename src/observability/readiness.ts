import type { UpstreamAttempt } from "../upstream/client.js";
import { httpGet } from "../upstream/http.js";

/** How long one readiness probe of the upstream may take. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * The upstream's health as the gateway last saw it. Every real upstream answer counts (no probe is
 * needed while traffic flows); only when nothing was heard within `cacheMs` is the upstream asked,
 * by one probe at a time, so a busy health checker never multiplies into upstream load.
 */
export class UpstreamReadiness {
  private lastVerdict: { up: boolean; at: number } | undefined;
  private probe: Promise<boolean> | undefined;
  private draining = false;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly cacheMs: number,
  ) {}

  /** Feeds a real upstream attempt in: any HTTP answer below 500 means it is up (401 included). */
  record(attempt: UpstreamAttempt): void {
    this.lastVerdict = {
      up: typeof attempt.outcome === "number" && attempt.outcome < 500,
      at: Date.now(),
    };
  }

  /** Turns readiness off for good: the process is shutting down and takes no new work. */
  drain(): void {
    this.draining = true;
  }

  /** True when the upstream answered below 500 recently (asking it if nothing recent is known). */
  async isReady(): Promise<boolean> {
    if (this.draining) return false;
    const verdict = this.lastVerdict;
    if (verdict !== undefined && Date.now() - verdict.at < this.cacheMs) return verdict.up;
    this.probe ??= this.askUpstream().finally(() => {
      this.probe = undefined;
    });
    return this.probe;
  }

  /** One cheap list call (`page_size=1`); the answer's status is all that matters. */
  private async askUpstream(): Promise<boolean> {
    const url = new URL(`${this.baseUrl}/api/v2/parse`);
    url.searchParams.set("page_size", "1");
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let up = false;
    try {
      up = (await httpGet(url, headers, PROBE_TIMEOUT_MS)).status < 500;
    } catch {
      up = false;
    }
    this.lastVerdict = { up, at: Date.now() };
    return up;
  }
}

/**
 * The `/readiness` answer: 200 when the upstream answered recently, 503 when not (or when
 * draining). With `REDIS_URL` set the body also says whether Redis answers, without changing the
 * status: a replica without Redis still serves (from its in-process state), so taking it out of
 * the load balancer would only shed capacity, on every replica at once.
 */
export async function readinessResponse(
  readiness: UpstreamReadiness,
  fetchAPI: { Response: typeof Response },
  shared?: { readonly available: boolean },
): Promise<Response> {
  const ready = await readiness.isReady();
  const body: { status: string; redis?: "available" | "unavailable" } = {
    status: ready ? "ready" : "unavailable",
  };
  if (shared !== undefined) body.redis = shared.available ? "available" : "unavailable";
  return new fetchAPI.Response(JSON.stringify(body), {
    status: ready ? 200 : 503,
    headers: { "content-type": "application/json" },
  });
}
