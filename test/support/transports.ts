import { CSRF_HEADER } from "../../src/server/run-mode.js";
import type { MalformedRequest } from "./malformed.js";

/**
 * The three ways a request reaches the gateway's pipeline: the direct POST path, POST through
 * Yoga's Fetch adapter (`directPost: false`), and GET (always Yoga's adapter).
 */
export type Transport = "POST direct" | "POST via Yoga" | "GET";

/** Every transport, in the order tests report them. */
export const TRANSPORTS: readonly Transport[] = ["POST direct", "POST via Yoga", "GET"];

/** An answer as it came over the wire: status, raw text, and the parsed errors and data. */
export interface Answer {
  status: number;
  text: string;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
  data?: unknown;
}

/**
 * Sends a request to `gatewayUrl` over `transport` (GraphQL parameters go in the URL for GET, in
 * a JSON body for POST; raw requests go as they are). The gateway for "POST via Yoga" must run
 * with `directPost: false`: the transport only decides how the request is written.
 */
export async function sendOver(
  gatewayUrl: string,
  transport: Transport,
  request: MalformedRequest,
  accept = "application/json",
): Promise<Answer> {
  const url = new URL(gatewayUrl);
  // The CSRF header lets GETs and form posts through; its absence is tested in run-modes.test.ts.
  const headers: Record<string, string> = { accept, [CSRF_HEADER]: "1" };
  let init: RequestInit = { headers };
  if (request.kind === "raw-get") {
    url.search = request.search;
  } else if (request.kind === "raw-post") {
    headers["content-type"] = request.contentType;
    init = { method: "POST", headers, body: request.body };
  } else if (transport === "GET") {
    url.searchParams.set("query", request.query);
    if (request.variables !== undefined) {
      url.searchParams.set("variables", JSON.stringify(request.variables));
    }
    if (request.operationName !== undefined) {
      url.searchParams.set("operationName", request.operationName);
    }
  } else {
    headers["content-type"] = "application/json";
    const { query, variables, operationName } = request;
    init = { method: "POST", headers, body: JSON.stringify({ query, variables, operationName }) };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  // Refusals before GraphQL (415, 406) may have no JSON body.
  const isJson = response.headers.get("content-type")?.includes("json") ?? false;
  const json = (isJson ? JSON.parse(text) : {}) as { errors?: Answer["errors"]; data?: unknown };
  return { status: response.status, text, errors: json.errors ?? [], data: json.data };
}
