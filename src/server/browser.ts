import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "graphql-yoga";
import { corsRefusal, isPreflight } from "./run-mode.js";

/**
 * What a person with a browser meets first: `GET /` sends them to GraphiQL, GraphiQL itself
 * (about 9 MB of HTML: served compressed and revalidated with an ETag instead of sent whole on
 * every visit), a short page saying how to turn GraphiQL on where it is off, and a preflight
 * refusal that names `CORS_ORIGINS` when no origin is allowed.
 */

/** What the browser plugin needs: GraphiQL's page (undefined when off) and the CORS origins. */
export interface BrowserOptions {
  /** Renders GraphiQL's whole page; called once, on the first visit. Undefined: GraphiQL is off. */
  /** Renders the GraphiQL page; called once, at the first visit (it may load a module). */
  graphiqlPage: (() => string | Promise<string>) | undefined;
  corsOrigins: readonly string[];
  graphqlEndpoint: string;
}

type Encoding = "br" | "gzip" | "identity";

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

// The page is the same bytes until the gateway is redeployed: a browser keeps it and asks again
// each visit with its ETag, so a redeploy shows at once and a revisit costs a 304 of a few bytes.
const PAGE_CACHE_CONTROL = "no-cache";

const GRAPHIQL_OFF = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphiQL is off</title></head>
<body>
<h1>GraphiQL is off</h1>
<p>This gateway does not serve GraphiQL (it is off by default with <code>NODE_ENV=production</code>).
Set <code>GRAPHIQL=true</code> and restart the gateway to turn it on.</p>
<p>The API still answers here: POST GraphQL requests to this URL as JSON.</p>
</body>
</html>
`;

/** Yoga's own test for a browser navigation: GraphiQL is served on exactly these. */
function wantsHtml(request: Request): boolean {
  return request.method === "GET" && (request.headers.get("accept") ?? "").includes("text/html");
}

/**
 * The browser-facing answers, in one plugin. It acts on GETs and OPTIONS only, never on the
 * JSON POSTs the direct path takes, so `yoga.ts` marks it with `handledByDirectPath`.
 */
export function browserPlugin({
  graphiqlPage,
  corsOrigins,
  graphqlEndpoint,
}: BrowserOptions): Plugin {
  const page = graphiqlPage === undefined ? undefined : new CompressedPage(graphiqlPage);
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (request.method === "OPTIONS") {
        // Configured origins are corsPlugin's to judge; with none, any preflight is refused.
        if (corsOrigins.length === 0 && isPreflight(request.headers)) {
          endResponse(corsRefusal(fetchAPI, false));
        }
        return;
      }
      if (!wantsHtml(request)) return;
      if (url.pathname === "/") {
        endResponse(
          new fetchAPI.Response(null, { status: 302, headers: { location: graphqlEndpoint } }),
        );
        return;
      }
      if (url.pathname !== graphqlEndpoint && url.pathname !== `${graphqlEndpoint}/`) return;
      if (page !== undefined) return page.respond(request, fetchAPI).then(endResponse);
      // A GET with a query is a GraphQL request, which the CSRF check and Yoga answer as before.
      if (url.searchParams.has("query")) return;
      endResponse(
        new fetchAPI.Response(GRAPHIQL_OFF, {
          status: 404,
          headers: { "content-type": "text/html; charset=utf-8" },
        }),
      );
    },
  };
}

/** A page rendered once, with each compressed form made once on first demand and kept. */
class CompressedPage {
  private page: Promise<{ html: Buffer; tag: string }> | undefined;
  private readonly bodies = new Map<Encoding, Promise<Uint8Array<ArrayBuffer>>>();

  constructor(private readonly render: () => string | Promise<string>) {}

  /** The page for this request: compressed as it accepts, or a 304 when its copy is current. */
  async respond(request: Request, fetchAPI: { Response: typeof Response }): Promise<Response> {
    const encoding = chooseEncoding(request.headers.get("accept-encoding"));
    const { html, tag } = await this.source();
    const etag = `"${tag}-${encoding}"`;
    const headers: Record<string, string> = {
      "cache-control": PAGE_CACHE_CONTROL,
      etag,
      vary: "Accept-Encoding",
    };
    if (isCurrent(request.headers.get("if-none-match"), tag)) {
      return new fetchAPI.Response(null, { status: 304, headers });
    }
    const body = await this.body(html, encoding);
    headers["content-type"] = "text/html; charset=utf-8";
    if (encoding !== "identity") headers["content-encoding"] = encoding;
    return new fetchAPI.Response(body, { status: 200, headers });
  }

  /** The page and its tag, rendered at the first visit rather than at start-up. */
  private source(): Promise<{ html: Buffer; tag: string }> {
    this.page ??= Promise.resolve(this.render()).then((text) => {
      const html = Buffer.from(text, "utf8");
      return { html, tag: createHash("sha256").update(html).digest("base64url").slice(0, 22) };
    });
    // A failed render is not kept: the next visit tries again.
    this.page.catch(() => {
      this.page = undefined;
    });
    return this.page;
  }

  private body(html: Buffer, encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> {
    let body = this.bodies.get(encoding);
    if (body === undefined) {
      body = compress(html, encoding);
      // A failed compression is not kept: the next visit tries again.
      body.catch(() => this.bodies.delete(encoding));
      this.bodies.set(encoding, body);
    }
    return body;
  }
}

/**
 * Every form of the page is the same page, so a tag of any of them is current (the weak
 * comparison `If-None-Match` calls for): a browser that changed encodings still gets a 304.
 */
function isCurrent(ifNoneMatch: string | null, hash: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag.startsWith(`"${hash}-`);
  });
}

/**
 * In the thread pool, off the event loop. Brotli at quality 5: ~0.4 s for GraphiQL and within 15 %
 * of quality 11's size, which takes ~20 s; gzip at its default level, ~0.3 s.
 */
async function compress(source: Buffer, encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> {
  const params = {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_SIZE_HINT]: source.length,
  };
  const bytes =
    encoding === "br"
      ? await brotli(source, { params })
      : encoding === "gzip"
        ? await gzipped(source)
        : source;
  // Copied once into an ArrayBuffer of its own, the body type Response takes.
  return Uint8Array.from(bytes);
}

/** Brotli when the client takes it, else gzip, else the page as it is (`Accept-Encoding`). */
export function chooseEncoding(acceptEncoding: string | null): Encoding {
  const quality = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").toLowerCase().split(",")) {
    const [name = "", ...params] = part.split(";").map((piece) => piece.trim());
    const q = params.find((param) => param.startsWith("q="));
    quality.set(name, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  const accepts = (name: string) => (quality.get(name) ?? quality.get("*") ?? 0) > 0;
  if (accepts("br")) return "br";
  if (accepts("gzip")) return "gzip";
  return "identity";
}
