import { type ExecutionResult, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type GatewayContext, NO_CREDENTIAL, type ParamsContext } from "./context.js";

/** An execution in flight, and the context whose resolvers are doing its work. */
interface Leader {
  result: Promise<ExecutionResult>;
  context: GatewayContext;
}

/** What the plugin is told and asked to do. */
export interface SharedExecutionOptions {
  /** Told each time a query takes another's result instead of running. */
  onShared?: () => void;
  /** Deep-freezes every shareable result, so code that mutates a shared result throws (tests). */
  freezeResults?: boolean;
}

/**
 * Shares executions in flight (`SHARE_EXECUTIONS`): a query identical to one still running
 * (same text, operation name, variables and credential) waits for that one's result instead of
 * running again.
 *
 * Sharing an upstream call (`UPSTREAM_DEDUPLICATE`) spares the upstream; sharing the execution
 * also spares the gateway its resolvers and cursors, and, on the direct path, the JSON text, which
 * is most of what a request costs once its call is shared. An execution is joined only while
 * every upstream read it rests on began at most `SHARED_WORK_MAX_AGE_MS` before the joining
 * request arrived (src/freshness.ts); an older one is left to those already waiting, and the
 * joiner runs afresh. Nothing is kept once the execution settles. Only queries are shared, and
 * only between requests with a credential: the key holds a hash of it, never the credential.
 *
 * A joiner keeps the execution's upstream work alive (src/request-interest.ts): the first
 * request's client hanging up does not cancel what the others wait for.
 *
 * It must be the last plugin to set an executor, since it wraps the one it is handed (graphql-jit
 * or graphql-js). Every other hook still runs for every request: limits, metrics, masking and the
 * response cache each see their own request. The result object is shared between requests, so
 * nothing may change it in place; Yoga, envelop and our plugins all build a new one instead, and
 * the tests run with results frozen to hold them to it.
 */
export function sharedExecutionPlugin(
  options: SharedExecutionOptions = {},
): Plugin<GatewayContext> {
  const inFlight = new Map<string, Leader>();
  const { onShared, freezeResults = false } = options;
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context: GatewayContext & ParamsContext = args.contextValue;
      const key = sharingKey(context, args.document, args.operationName);
      if (key === null) return;
      setExecuteFn((executionArgs) => {
        const leader = inFlight.get(key);
        if (
          leader !== undefined &&
          context.freshness.accepts(leader.context.freshness.oldestRead)
        ) {
          onShared?.();
          // The leader's upstream work now goes on until this request has gone as well: a
          // leader whose client hangs up must not cancel what its followers wait for.
          leader.context.interest.share(context.interest.own);
          // Reads the leader has yet to make or join must be fresh enough for this request too.
          leader.context.freshness.tighten(context.freshness.notBefore);
          return leader.result.then((result) => {
            // What the leader saw upstream sets this request's response-cache lifetime too.
            if (leader.context.seen.activeJob) context.seen.activeJob = true;
            return result;
          });
        }
        const started: Leader = {
          result: Promise.resolve(executeFn(executionArgs) as ExecutionResult)
            .then((result) => (freezeResults ? deepFreeze(result) : result))
            .finally(() => {
              if (inFlight.get(key) === started) inFlight.delete(key);
            }),
          context,
        };
        // A leader too old to join is replaced: later requests join this fresher one.
        inFlight.set(key, started);
        return started.result;
      });
    },
  };
}

/** The key under which identical queries meet, or null for what is never shared. */
function sharingKey(
  context: GatewayContext & ParamsContext,
  document: Parameters<typeof getOperationAST>[0],
  operationName: string | null | undefined,
): string | null {
  const params = context.params;
  if (params?.query === undefined) return null;
  if (getOperationAST(document, operationName)?.operation !== "query") return null;
  // Requests without a usable credential fail alike, but their errors may name what they sent.
  const scope = context.credentialScope();
  if (scope === NO_CREDENTIAL) return null;
  const variables = JSON.stringify(params.variables ?? null);
  return `${scope}\0${params.operationName ?? ""}\0${variables}\0${params.query}`;
}

/** Freezes a result and every object and array in it (errors are left as they are). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (value instanceof Error) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
