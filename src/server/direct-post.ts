import type {
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  ServerResponse,
} from "node:http";
import type { GraphQLParams } from "graphql-yoga";
import { isAsyncIterable, processRegularResult } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayMetrics } from "../observability/metrics.js";
import { noteArrival, noteDeparture } from "../observability/plugin.js";
import { traceRequest } from "../tracing/index.js";
import type { Gateway } from "../yoga.js";
import { sendStreamedResult } from "./direct-stream.js";
import { corsResponseHeaders } from "./run-mode.js";

/**
 * The direct path: a plain GraphQL POST (`POST /graphql`, a JSON body with a Content-Length
 * within the limit, an `Accept` Yoga answers with JSON) is read from Node's request and handed
 * straight to Yoga's GraphQL pipeline (`getResultForParams`: parse and validation caches, every
 * plugin's GraphQL hooks, masked errors, graphql-jit). Yoga's own JSON result processor writes an
 * answer with errors; one without is written as that processor would write it. What the path
 * skips is Yoga's Fetch adapter around the pipeline: a `Request`, a `Response`, an AbortController
 * and the HTTP-level hooks, ≈ a quarter of a page query's CPU (BENCHMARKS.md).
 *
 * Of those HTTP-level hooks, only CORS does anything to such a request (CSRF prevention passes
 * JSON, GraphiQL answers GET, the health and unhandled-route checks answer other paths); its
 * headers, the body limit, the request id and the access log are done here. Anything else, and
 * any body that does not parse into well-formed GraphQL parameters, goes to Yoga unchanged (a
 * read body is handed over with it), so every answer about a bad request is Yoga's own. A
 * subscription that starts (its result a stream) is answered through every result-processor hook
 * as Yoga's adapter would (src/server/direct-stream.ts): an event stream, or 406 for JSON only.
 * test/direct-post.test.ts holds both paths to byte-equal answers.
 *
 * `getResultForParams` is public on Yoga's server class but marked internal in its typings, and
 * Yoga is pinned to an exact version: on an upgrade, that test is what says the path still holds
 * (and `DIRECT_POST=false` turns it off without a release).
 */
export interface DirectPostOptions {
  /** Largest body read here; a larger one goes to Yoga, which refuses it. */
  maxBodyBytes: number;
  /** The configured CORS origins, as the CORS plugin Yoga runs reads them (`CORS_ORIGINS`). */
  cors: readonly string[];
  logger: Logger;
  metrics: GatewayMetrics;
}

/** A Node request as Yoga's adapter reads it: a `body` set on it is read instead of the stream. */
type HandedOver = IncomingMessage & { body?: ReadBody };

/**
 * A body already read, in the form Yoga's adapter reads a request's own stream: an async
 * iterable. Handed over as a Buffer, it would first be walked key by key (one key per byte,
 * ≈ 5 ms for 100 kB), which would make a malformed body far costlier than a good one.
 */
interface ReadBody extends AsyncIterable<Buffer> {
  /** The adapter uses a `body` only when it has an own enumerable key. */
  readonly bytes: number;
}

function readBody(body: Buffer): ReadBody {
  return {
    bytes: body.length,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  };
}

/** The media types of Yoga's JSON result processor. */
type JsonMediaType = "application/json" | "application/graphql-response+json";

/** The listener for `node:http`: the direct path where it applies, Yoga's adapter elsewhere. */
export function directPostListener(gateway: Gateway, options: DirectPostOptions): RequestListener {
  const { maxBodyBytes } = options;
  return (req, res) => {
    const mediaType = directMediaType(req, maxBodyBytes);
    if (mediaType === null) {
      void gateway(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const params = graphqlParams(body);
      if (params === null) {
        (req as HandedOver).body = readBody(body);
        void gateway(req, res);
        return;
      }
      // In the request's SERVER span when tracing is on, as Yoga's adapter runs its requests.
      void traceRequest(req.headers, res, () =>
        serve(gateway, options, req, res, params, mediaType),
      );
    });
  };
}

async function serve(
  gateway: Gateway,
  options: DirectPostOptions,
  req: IncomingMessage,
  res: ServerResponse,
  params: GraphQLParams,
  mediaType: JsonMediaType,
): Promise<void> {
  // The headers as they came (Yoga's adapter wraps the same object); the body is already read.
  const request = new gateway.fetchAPI.Request(
    `http://${req.headers.host ?? "localhost"}/graphql`,
    {
      method: "POST",
      headers: req.headers as Record<string, string>,
    },
  );
  const arrival = noteArrival(request, "/graphql");
  const extraHeaders = corsHeaders(request, options.cors);
  extraHeaders["x-request-id"] = arrival.id;
  let status = 500;
  try {
    const result = await gateway.getResultForParams({ params, request }, { req, res });
    if (result === undefined) throw new Error("no result");
    // A subscription that started (`parseJobUpdates`): an event stream, or Yoga's 406.
    if (isAsyncIterable(result)) {
      status = await sendStreamedResult(gateway, request, req, res, result, extraHeaders);
      return;
    }
    if (!result.errors?.length && !result.extensions?.http) {
      // What Yoga's JSON processor answers to a result without errors or HTTP extensions,
      // without building a Response to read it back from: 200, the content type, the JSON.
      status = 200;
      const body = jsonBody(result);
      res.writeHead(200, {
        "content-type": `${mediaType}; charset=utf-8`,
        "content-length": body.length,
        ...extraHeaders,
      });
      res.end(body);
      return;
    }
    const response = await processRegularResult(result, gateway.fetchAPI, mediaType);
    const text = await response.text();
    status = response.status;
    response.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.writeHead(status, response.statusText || undefined, extraHeaders);
    res.end(text);
  } catch (error) {
    // Yoga's pipeline turns every GraphQL and resolver error into a result; only a fault of the
    // gateway itself lands here. It is logged, and the caller gets what Yoga's masking would say.
    options.logger.error({ msg: "direct path failed", requestId: arrival.id, err: error });
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": `${mediaType}; charset=utf-8`, ...extraHeaders });
    }
    res.end('{"errors":[{"message":"Unexpected error."}]}');
  } finally {
    noteDeparture(options, arrival, "POST", status);
  }
}

/** The headers the CORS plugin adds to Yoga's answers (src/server/run-mode.ts), lower-cased. */
function corsHeaders(request: Request, origins: readonly string[]): OutgoingHttpHeaders {
  return corsResponseHeaders(origins, "POST", request.headers);
}

/**
 * The media type Yoga would answer this request with when the direct path may serve it, else
 * null. Yoga's processors are SSE, multipart, then JSON, each matched against the `Accept`
 * entries (with a UTF-8 charset or none) last to first, and the last match wins: JSON answers
 * whenever an entry matches one of its types, and then the first such entry decides, with
 * `application/json` before `application/graphql-response+json` where both match (`*∕*`).
 */
function directMediaType(req: IncomingMessage, maxBodyBytes: number): JsonMediaType | null {
  if (req.method !== "POST" || req.url !== "/graphql") return null;
  const { headers } = req;
  if (headers["transfer-encoding"] !== undefined) return null;
  const contentType = headers["content-type"]?.split(",")[0];
  if (contentType !== "application/json" && !contentType?.startsWith("application/json;")) {
    return null;
  }
  // An empty body goes to Yoga unread: Yoga's adapter ignores an empty body handed over.
  const length = headers["content-length"];
  if (length === undefined || !/^\d+$/.test(length)) return null;
  if (Number(length) === 0 || Number(length) > maxBodyBytes) return null;
  const entries = (headers.accept || "*/*").replace(/\s/g, "").toLowerCase().split(",");
  for (const entry of entries) {
    const [type = "", ...parameters] = entry.split(";");
    const charset = parameters.find((parameter) => parameter.includes("charset="));
    if (charset !== undefined && charset !== "charset=utf-8") continue;
    const [main, sub] = type.split("/");
    const anyMain = main === "*" || main === "application";
    if (anyMain && (sub === "*" || sub === "json")) return "application/json";
    if (anyMain && sub === "graphql-response+json") return "application/graphql-response+json";
  }
  return null;
}

/**
 * The body as GraphQL parameters, or null unless they are exactly what Yoga accepts as they are,
 * or a trusted document's id (`documentId`, which the callers' plugin swaps for the document's
 * text, and Yoga's own check refuses when no manifest is set) with or without a `query`.
 */
function graphqlParams(body: Buffer): GraphQLParams | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  for (const key in parsed) {
    const value = parsed[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case "query":
      case "operationName":
      case "documentId":
        if (typeof value !== "string") return null;
        break;
      case "variables":
      case "extensions":
        if (!isObject(value)) return null;
        break;
      default:
        return null;
    }
  }
  return typeof parsed.query === "string" || typeof parsed.documentId === "string"
    ? (parsed as GraphQLParams)
    : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A result's JSON as UTF-8 bytes: encoded once, which also gives the Content-Length (a string
 * would be scanned once for its byte length and again to be written). Requests that shared one
 * execution (src/shared-execution.ts) hold the same result object, so they share these bytes too;
 * keyed weakly, the bytes live only as long as their result.
 */
const bodies = new WeakMap<object, Buffer>();

function jsonBody(result: object): Buffer {
  let body = bodies.get(result);
  if (body === undefined) {
    body = Buffer.from(JSON.stringify(result));
    bodies.set(result, body);
  }
  return body;
}
