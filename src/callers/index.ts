/**
 * Callers: who may send GraphQL requests (JWT authentication), which LlamaCloud projects each may
 * see, how often they may ask (rate limits) and which documents they may send (trusted documents).
 * `yoga.ts` wires in `callersPlugin`; the context reads `callerOf(request)`.
 *
 * Everything here happens in Yoga's `onParams` hook: after the body is read, before the document
 * is parsed. That hook runs on the direct path as well as through Yoga's adapter, and a refusal
 * costs no parse, no validation and no upstream call. The order is the order of the questions:
 * who are you (401), have you asked too often (429), may this document run (400/404).
 */
import type { IncomingMessage } from "node:http";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { carriesSubgraphToken } from "../server/subgraph-token.js";
import { createAuthenticator } from "./authenticate.js";
import { ANONYMOUS, type Caller, SDL_ONLY } from "./caller.js";
import type { CallersConfig } from "./config.js";
import { clientAddress, createRateLimiter } from "./rate-limit.js";
import { asksOnlyForSdl } from "./router-requests.js";
import { loadTrustedDocuments } from "./trusted-documents.js";

export type { Caller } from "./caller.js";
export { ANONYMOUS } from "./caller.js";

/** Each authenticated request's caller, until the request is gone. */
const callers = new WeakMap<Request, Caller>();

/**
 * The caller `callersPlugin` established for a request: anonymous (every project) when
 * authentication is off. With it on, a request the plugin never saw (a path that skipped
 * `onParams`, were there one) fails closed: a caller of no project.
 */
export function callerOf(request: Request, authenticating: boolean): Caller {
  return callers.get(request) ?? (authenticating ? SDL_ONLY : ANONYMOUS);
}

/** What the server adapters hand `onParams` as its context: Node's request, on both paths. */
interface ServerContext {
  req?: IncomingMessage;
}

/**
 * The plugin, or undefined when nothing of it is configured. Manifests are read here, at start:
 * a missing or malformed file stops the start with a ConfigError naming it.
 */
export function callersPlugin(
  config: CallersConfig,
  subgraphToken: string | undefined,
  logger: Logger,
  onRefusal: (code: string) => void = () => {},
): Plugin | undefined {
  const authenticator =
    config.auth === undefined ? undefined : createAuthenticator(config.auth, logger);
  const limiter =
    config.rateLimitPerMinute > 0 ? createRateLimiter(config.rateLimitPerMinute) : undefined;
  const trusted =
    config.persistedDocuments.length > 0
      ? loadTrustedDocuments(config.persistedDocuments, config.persistedDocumentsOnly)
      : undefined;
  if (authenticator === undefined && limiter === undefined && trusted === undefined) {
    return undefined;
  }
  return {
    async onParams({ request, params, setParams, setResult, context }) {
      try {
        let caller = ANONYMOUS;
        if (authenticator !== undefined) {
          try {
            caller = await authenticator.authenticate(request.headers.get("authorization"));
          } catch (refusal) {
            // A router fetching the SDL to compose has no caller's token (SUBGRAPH_TOKEN, when
            // set, still guards `_service`). It is let through as a caller of no project.
            if (!asksOnlyForSdl(params.query)) throw refusal;
            caller = SDL_ONLY;
          }
          callers.set(request, caller);
        }
        if (limiter !== undefined) {
          // Per subject when callers are known, else per client address.
          const key =
            caller.subject !== undefined
              ? `sub:${caller.subject}`
              : `ip:${clientAddress((context as ServerContext).req, request, config.trustProxy)}`;
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
          setParams(trusted.resolve(params, request));
        }
      } catch (error) {
        // Only the refusals made above end the request here; anything else is a bug and goes on
        // to Yoga, which masks it.
        if (!(error instanceof GraphQLError)) throw error;
        onRefusal(String(error.extensions.code ?? "UNKNOWN"));
        setResult({ errors: [error] });
        // Yoga still runs the later onParams hooks, its own params check among them, which
        // would throw on a body naming a document by id and replace this answer; the refused
        // params never run.
        setParams({ query: "" });
      }
    },
  };
}
