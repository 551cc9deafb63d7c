/**
 * Callers: who may send GraphQL requests (JWT authentication), which LlamaCloud projects each may
 * see, how often they may ask (rate limits) and which documents they may send (trusted documents).
 * `yoga.ts` builds one `CallerGate` and wires it in twice: `callersPlugin` for HTTP (queries, and
 * subscriptions over SSE) and the WebSocket server for `graphql-ws` subscriptions. The context
 * reads `callerOf(request)`.
 *
 * Over HTTP, the gate runs in Yoga's `onParams` hook: after the body is read, before the document
 * is parsed. That hook runs on the direct path as well as through Yoga's adapter, and a refusal
 * costs no parse, no validation and no upstream call. The order is the order of the questions:
 * who are you (401), have you asked too often (429), may this document run (400/404).
 */
import type { IncomingMessage } from "node:http";
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { carriesSubgraphToken } from "../server/subgraph-token.js";
import type { SharedRedis } from "../shared/index.js";
import { createAuthenticator } from "./authenticate.js";
import { ANONYMOUS, type Caller, SDL_ONLY } from "./caller.js";
import type { CallersConfig } from "./config.js";
import { clientAddress, createRateLimiter } from "./rate-limit.js";
import { asksOnlyForSdl } from "./router-requests.js";
import { loadTrustedDocuments } from "./trusted-documents.js";

export type { Caller } from "./caller.js";
export { ANONYMOUS } from "./caller.js";

/** One GraphQL operation at the door: what the caller sent, and where from. */
export interface Arrival {
  /** The `Authorization` value: the HTTP header, or `connection_init`'s `authorization`. */
  authorization: string | null;
  params: GraphQLParams;
  /** The HTTP request (for a WebSocket, the upgrade request): its URL and headers are read. */
  request: Request;
  /** Node's request, for the client's address. */
  req: IncomingMessage | undefined;
}

/** What the gate lets in: who, and the document to run (a trusted document's text by now). */
export interface Admission {
  caller: Caller;
  params: GraphQLParams;
}

/** Admits or refuses GraphQL operations, whatever transport brought them. */
export interface CallerGate {
  /** The caller and the params to run, or throws the GraphQLError that refuses the operation. */
  admit(arrival: Arrival): Promise<Admission>;
  /** Counts a refusal in the metrics (by code); the transports call it for what `admit` threw. */
  refused(error: GraphQLError): void;
  /** True when callers must authenticate. */
  readonly authenticating: boolean;
}

/**
 * The gate, or undefined when nothing of it is configured. Manifests are read here, at start:
 * a missing or malformed file stops the start with a ConfigError naming it. With `shared`, rate
 * limits count in Redis, across the replicas.
 */
export function createCallerGate(
  config: CallersConfig,
  subgraphToken: string | undefined,
  logger: Logger,
  onRefusal: (code: string) => void = () => {},
  shared?: SharedRedis,
): CallerGate | undefined {
  const authenticator =
    config.auth === undefined ? undefined : createAuthenticator(config.auth, logger);
  const limiter =
    config.rateLimitPerMinute > 0
      ? createRateLimiter(config.rateLimitPerMinute, shared)
      : undefined;
  const trusted =
    config.persistedDocuments.length > 0
      ? loadTrustedDocuments(config.persistedDocuments, config.persistedDocumentsOnly)
      : undefined;
  if (authenticator === undefined && limiter === undefined && trusted === undefined) {
    return undefined;
  }
  return {
    authenticating: authenticator !== undefined,
    refused: (error) => onRefusal(String(error.extensions.code ?? "UNKNOWN")),
    async admit({ authorization, params, request, req }) {
      let caller = ANONYMOUS;
      if (authenticator !== undefined) {
        try {
          caller = await authenticator.authenticate(authorization);
        } catch (refusal) {
          // A router fetching the SDL to compose has no caller's token (SUBGRAPH_TOKEN, when
          // set, still guards `_service`). It is let through as a caller of no project.
          if (!asksOnlyForSdl(params.query)) throw refusal;
          caller = SDL_ONLY;
        }
      }
      if (limiter !== undefined) {
        // Per subject when callers are known, else per client address.
        const key =
          caller.subject !== undefined
            ? `sub:${caller.subject}`
            : `ip:${clientAddress(req, request, config.trustProxy)}`;
        await limiter.consume(key);
      }
      // A router's own documents (the SDL, `_entities` lookups it writes per plan) are in no
      // app's manifest: a request with the right SUBGRAPH_TOKEN, or one asking only for the
      // SDL, is the router's, which checks its clients' documents itself.
      if (
        trusted !== undefined &&
        !carriesSubgraphToken(request, subgraphToken) &&
        !asksOnlyForSdl(params.query)
      ) {
        return { caller, params: trusted.resolve(params, request) };
      }
      return { caller, params };
    },
  };
}

/** Each admitted request's caller, until the request is gone. */
const callers = new WeakMap<Request, Caller>();

/**
 * Records the caller the gate admitted a request as, for `callerOf`: the HTTP plugin below does
 * it for each request, the WebSocket server for the `Request` it builds per subscription.
 */
export function bindCaller(request: Request, caller: Caller): void {
  callers.set(request, caller);
}

/**
 * The caller the gate admitted a request as: anonymous (every project) when authentication is
 * off. With it on, a request the gate never saw (a path that skipped it, were there one) fails
 * closed: a caller of no project.
 */
export function callerOf(request: Request, authenticating: boolean): Caller {
  return callers.get(request) ?? (authenticating ? SDL_ONLY : ANONYMOUS);
}

/** What the server adapters hand `onParams` as its context: Node's request, on both paths. */
interface ServerContext {
  req?: IncomingMessage;
}

/** The gate in Yoga's `onParams`: for queries over HTTP and subscriptions over SSE. */
export function callersPlugin(gate: CallerGate): Plugin {
  return {
    async onParams({ request, params, setParams, setResult, context }) {
      try {
        const admission = await gate.admit({
          authorization: request.headers.get("authorization"),
          params,
          request,
          req: (context as ServerContext).req,
        });
        bindCaller(request, admission.caller);
        if (admission.params !== params) setParams(admission.params);
      } catch (error) {
        // Only the gate's refusals end the request here; anything else is a bug and goes on to
        // Yoga, which masks it.
        if (!(error instanceof GraphQLError)) throw error;
        gate.refused(error);
        setResult({ errors: [error] });
        // Yoga still runs the later onParams hooks, its own params check among them, which
        // would throw on a body naming a document by id and replace this answer; the refused
        // params never run.
        setParams({ query: "" });
      }
    },
  };
}
