import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import type { CORSOptions, Plugin } from "graphql-yoga";

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

/** `["*"]`: any origin (Yoga's default); `[]`: no CORS headers (same-origin only); else exactly those. */
export function corsOptions(origins: string[]): CORSOptions | false | undefined {
  if (origins.length === 0) return false;
  if (origins.length === 1 && origins[0] === "*") return undefined;
  return { origin: origins, methods: ["GET", "POST"], credentials: false };
}
