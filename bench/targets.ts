/** One HTTP request the bench repeats: what the load generators send. */
export interface Target {
  /**
   * `without:<ablation>`: the unshared gateway with one optimisation taken out; `scale:<row>`: a
   * row of the two-replica section (bench/scale-out.ts); `trace:<row>`: a row of the tracing
   * section (bench/tracing.ts).
   */
  readonly name:
    | "direct"
    | "proxy"
    | "gateway"
    | "unshared"
    | "proxyUndici"
    | `without:${string}`
    | `scale:${string}`
    | `trace:${string}`;
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The serving process, when it is one of the bench's: its CPU time per request is reported. */
  readonly pid?: number;
  /** Several serving processes (replicas behind a balancer): their CPU time is added up. */
  readonly pids?: readonly number[];
  /** When set, every answer under load must be exactly this body (else it counts as a failure). */
  readonly expectBody?: string;
}

/** The typical page query: 20 jobs with every field, as a client would show a list. */
export const PAGE_QUERY = `query Page {
  parseJobs(first: 20) {
    totalCount
    edges {
      cursor
      node { id projectId status createdAt updatedAt errorMessage name tier }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** The REST call the page query costs: the same one the direct and proxied targets make. */
const REST_PATH = "/api/v2/parse?page_size=20";

/**
 * The targets of one comparison: upstream directly, through the bare proxy, through the gateway,
 * and (when given) through a gateway with neither kind of sharing, whose every request runs
 * and makes its own upstream call: the gateway's cost per request when nothing can be shared.
 */
export function pageTargets(
  urls: {
    upstream: string;
    proxy: string;
    gateway: string;
    unshared?: string;
    proxyUndici?: string;
  },
  apiKey: string,
): Target[] {
  const rest = { authorization: `Bearer ${apiKey}`, accept: "application/json" };
  const graphql = (name: "gateway" | "unshared", url: string): Target => ({
    name,
    url,
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: PAGE_QUERY }),
  });
  return [
    { name: "direct", url: `${urls.upstream}${REST_PATH}`, method: "GET", headers: rest },
    { name: "proxy", url: `${urls.proxy}${REST_PATH}`, method: "GET", headers: rest },
    graphql("gateway", urls.gateway),
    ...(urls.unshared === undefined ? [] : [graphql("unshared", urls.unshared)]),
    ...(urls.proxyUndici === undefined
      ? []
      : [
          {
            name: "proxyUndici" as const,
            url: `${urls.proxyUndici}${REST_PATH}`,
            method: "GET" as const,
            headers: rest,
          },
        ]),
  ];
}

/** Sends a target once and returns its parsed JSON body; throws unless it is a 200 without errors. */
export async function sendOnce(target: Target): Promise<unknown> {
  return JSON.parse(await sendOnceRaw(target));
}

/** Like `sendOnce`, but returns the body as the text it came as. */
export async function sendOnceRaw(target: Target): Promise<string> {
  const response = await fetch(target.url, {
    method: target.method,
    headers: target.headers,
    body: target.body ?? null,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${target.name} answered ${response.status}: ${text}`);
  const body = JSON.parse(text) as { errors?: unknown };
  if (body.errors !== undefined) throw new Error(`${target.name} answered with errors: ${text}`);
  return text;
}
