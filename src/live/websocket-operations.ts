/**
 * One GraphQL operation over WebSocket, through the same door as an HTTP request: the caller gate
 * (src/callers/) with the credential `connection_init` carried, then Yoga's own parse,
 * validation, context and execution (`getEnveloped`), so every limit, cache, masking and metric
 * plugin sees it. The transport is src/live/websocket.ts.
 *
 * The gate is asked per operation, not at `connection_init`: a refusal then reaches the client as
 * the operation's `error`, with the code and message an HTTP caller gets (UNAUTHENTICATED…),
 * which graphql-ws hands to the subscription's sink, where a close code (4401/4403) would carry
 * no code and 4403 would be retried by the client; a token that expires is refused for the next
 * operation of a connection opened while it was valid; and rate limits count operations.
 */
import type { IncomingMessage } from "node:http";
import { type ExecutionArgs, GraphQLError, type GraphQLFormattedError } from "graphql";
import type { ExecutionResult, OperationResult, ServerOptions, SubscribePayload } from "graphql-ws";
import type { GraphQLParams } from "graphql-yoga";
import { bindCaller } from "../callers/index.js";
import type { Gateway, GatewayRuntime } from "../yoga.js";

/** What an operation reads of its connection (graphql-ws's `ctx.extra`). */
export interface OperationConnection {
  /** The upgrade request: its headers and the client's address. */
  readonly req: IncomingMessage;
  /** `connection_init`'s credential: what the gate checks and the context reads, every time. */
  authorization: string | null;
  /** Each running operation's signal, aborted if the socket closes under it. */
  readonly operations: Map<string, AbortController>;
}

/**
 * Operations one connection may run at once: over HTTP/1.1 a connection carries one request at
 * a time and MAX_CONNECTIONS bounds them, which one WebSocket would otherwise sidestep.
 */
export const MAX_OPERATIONS_PER_CONNECTION = 100;

type Enveloped = ReturnType<Gateway["getEnveloped"]>;
type Outcome = Awaited<OperationResult>;

/** graphql-ws's server options that admit, run and format operations. */
export function operationOptions<E extends OperationConnection>(
  runtime: GatewayRuntime,
  yoga: Gateway,
): ServerOptions<Record<string, unknown>, E> {
  const { gate, logger } = runtime;
  // Which Yoga pipeline runs an operation, by the context built for it.
  const pipelines = new WeakMap<object, Enveloped>();

  const asGraphQLError = (error: unknown): GraphQLError => {
    if (error instanceof GraphQLError) return error;
    // A bug, not the client's doing: logged by message only, answered as Yoga masks it.
    logger.error({ msg: "websocket operation failed", error: String(error) });
    return new GraphQLError("Unexpected error.", { extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };

  /** The gate's verdict on an operation; its refusal is counted and thrown. */
  const admit = async (
    connection: OperationConnection,
    params: GraphQLParams,
    request: Request,
  ): Promise<GraphQLParams> => {
    if (gate === undefined) return params;
    try {
      const admission = await gate.admit({
        authorization: connection.authorization,
        params,
        request,
        req: connection.req,
      });
      bindCaller(request, admission.caller);
      return admission.params;
    } catch (error) {
      if (error instanceof GraphQLError) gate.refused(error);
      throw error;
    }
  };

  const prepare = async (
    connection: OperationConnection,
    id: string,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const controller = new AbortController();
    connection.operations.set(id, controller);
    try {
      if (connection.operations.size > MAX_OPERATIONS_PER_CONNECTION) throw tooManyOperations();
      const request = operationRequest(connection, controller.signal);
      // The payload as sent (a `documentId` included), with graphql-ws's nulls as Yoga's absences.
      const params = await admit(
        connection,
        {
          ...payload,
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          extensions: payload.extensions ?? undefined,
        },
        request,
      );
      if (!params.query) {
        throw new GraphQLError("Must provide query string.", {
          extensions: { code: "BAD_REQUEST" },
        });
      }
      const enveloped = yoga.getEnveloped({ request, params, req: connection.req });
      const document = enveloped.parse(params.query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) {
        connection.operations.delete(id);
        return errors;
      }
      const contextValue = await enveloped.contextFactory();
      pipelines.set(contextValue, enveloped);
      return {
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      };
    } catch (error) {
      // graphql-ws calls no `onComplete` for an operation refused here.
      connection.operations.delete(id);
      return [asGraphQLError(error)];
    }
  };

  // Yoga's execute and subscribe mask errors; one that still throws ends this operation, not the
  // connection (graphql-ws would close the socket).
  const run =
    (kind: "execute" | "subscribe") =>
    async (args: ExecutionArgs): Promise<Outcome> => {
      try {
        const enveloped = pipelines.get(args.contextValue as object);
        if (enveloped === undefined) throw new Error("operation without a prepared pipeline");
        return (await enveloped[kind](args)) as Outcome;
      } catch (error) {
        return { errors: [asGraphQLError(error)] };
      }
    };

  return {
    onConnect: (ctx) => {
      const params = ctx.connectionParams ?? {};
      const value = params.authorization ?? params.Authorization;
      ctx.extra.authorization = typeof value === "string" ? value : null;
    },
    onSubscribe: (ctx, id, payload) => prepare(ctx.extra, id, payload),
    execute: run("execute"),
    subscribe: run("subscribe"),
    onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) =>
      result.errors === undefined ? undefined : { ...result, errors: formatted(result.errors) },
    onError: (_ctx, _id, _payload, errors) => formatted(errors),
    onComplete: (ctx, id) => {
      ctx.extra.operations.delete(id);
    },
  };
}

/**
 * The Fetch `Request` an operation runs as: the upgrade request's headers, with the
 * `Authorization` of `connection_init` (or none), so the gate and the context see one credential
 * whatever the upgrade carried. The upgrade's query string is left out: it is not the operation's
 * (a `documentId=` there would otherwise name the document of every operation).
 */
function operationRequest(connection: OperationConnection, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(connection.req.headers)) {
    if (value === undefined || name === "authorization") continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  if (connection.authorization !== null) headers.set("authorization", connection.authorization);
  const base = `http://${connection.req.headers.host ?? "localhost"}`;
  return new Request(new URL("/graphql", URL.canParse(base) ? base : "http://localhost"), {
    headers,
    signal,
  });
}

function tooManyOperations(): GraphQLError {
  return new GraphQLError(
    `At most ${MAX_OPERATIONS_PER_CONNECTION} operations may run at once on one WebSocket connection: complete some, or open another connection`,
    { extensions: { code: "TOO_MANY_OPERATIONS" } },
  );
}

/** Errors as Yoga writes them over HTTP: without its internal `http` and `unexpected` marks. */
function formatted(errors: readonly GraphQLError[]): GraphQLFormattedError[] {
  return errors.map((error) => {
    const { extensions, ...rest } = error.toJSON();
    if (extensions === undefined) return rest;
    const kept: Record<string, unknown> = { ...extensions };
    delete kept.http;
    delete kept.unexpected;
    return Object.keys(kept).length > 0 ? { ...rest, extensions: kept } : rest;
  });
}
