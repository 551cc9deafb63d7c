import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The header a browser client must send on requests that skip the CORS preflight (GET, forms). */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * Yoga's CSRF prevention: a request a browser could send cross-site without a preflight (a GET,
 * or a form/text content type) must carry `x-graphql-yoga-csrf`. Its refusal gets a code here.
 */
export function csrfPlugin(): Plugin {
  const inner = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        return inner.onRequestParse?.(payload);
      } catch (error) {
        if (error instanceof GraphQLError) {
          Object.assign(error.extensions, { code: "CSRF_HEADER_MISSING" });
        }
        throw error;
      }
    },
  };
}

/**
 * The CORS headers of a response, lower-cased, under the configured origins (`CORS_ORIGINS`).
 * None unless origins are configured, and no `Access-Control-Allow-Origin` for an origin not
 * listed (never `null`, which sandboxed pages send). `*` is answered as a literal `*`, never as
 * the caller's origin reflected. `Access-Control-Allow-Credentials` is never sent: callers
 * authenticate with an `Authorization` header, and cookies have no use here.
 */
export function corsResponseHeaders(
  origins: readonly string[],
  method: string,
  headers: Headers,
): Record<string, string> {
  if (origins.length === 0) return {};
  const anyOrigin = origins[0] === "*";
  const vary: string[] = [];
  const out: Record<string, string> = {};
  // With a list, the answer depends on the Origin: a shared cache must not hand it to another.
  if (!anyOrigin) vary.push("Origin");
  const origin = headers.get("origin");
  const allowed = anyOrigin ? "*" : origin !== null && origins.includes(origin) ? origin : null;
  if (origin !== null && allowed !== null) {
    out["access-control-allow-origin"] = allowed;
    if (method === "OPTIONS") {
      out["access-control-allow-methods"] = "GET, POST";
      // The headers a browser asks to send (content-type, authorization, the CSRF header…);
      // without credentials, allowing what it asks for grants nothing it could not do anyway.
      const requested = headers.get("access-control-request-headers");
      if (requested !== null) {
        out["access-control-allow-headers"] = requested;
        vary.push("Access-Control-Request-Headers");
      }
    }
  }
  if (vary.length > 0) out.vary = vary.join(", ");
  return out;
}

/**
 * CORS for Yoga's adapter (Yoga's own `cors` option is off: it reflects any origin with
 * credentials when unconfigured, and answers unlisted origins with `null`). Preflights get 204.
 * The direct path adds the same headers from `corsResponseHeaders`.
 */
export function corsPlugin(origins: readonly string[]): Plugin {
  // Nothing configured: no hooks, and an OPTIONS request is Yoga's to refuse.
  if (origins.length === 0) return {};
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== "OPTIONS") return;
      if (isPreflight(request.headers)) {
        const origin = request.headers.get("origin");
        if (origins[0] !== "*" && !origins.includes(origin ?? "")) {
          endResponse(corsRefusal(fetchAPI, true));
          return;
        }
      }
      // Safari waits for a body on a 204 without a Content-Length.
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { "content-length": "0" } }));
    },
    onResponse({ request, response }) {
      const headers = corsResponseHeaders(origins, request.method, request.headers);
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    },
  };
}

/** A CORS preflight: an OPTIONS a browser sends from a page on an origin before its request. */
export function isPreflight(headers: Headers): boolean {
  return headers.has("origin") && headers.has("access-control-request-method");
}

/**
 * The 403 of a preflight from an origin `CORS_ORIGINS` does not allow. The browser shows the
 * page's developer only "CORS error", so the body, seen in the network panel, names the setting;
 * without it the refusal came from the CSRF check and talked about a missing CSRF header.
 */
export function corsRefusal(
  fetchAPI: { Response: typeof Response },
  configured: boolean,
): Response {
  const text = configured
    ? "CORS preflight refused: this origin is not in CORS_ORIGINS. Add it to CORS_ORIGINS (comma-separated origins such as https://app.example.com) to let its pages call this gateway.\n"
    : "CORS preflight refused: CORS_ORIGINS is not set, so no page on another origin may call this gateway. Set CORS_ORIGINS (comma-separated origins such as https://app.example.com, or *) to allow some.\n";
  return new fetchAPI.Response(text, {
    status: 403,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
