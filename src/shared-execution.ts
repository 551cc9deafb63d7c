import { type ExecutionResult, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { type GatewayContext, NO_CREDENTIAL, type ParamsContext } from "./context.js";

/** An execution in flight, and the context whose resolvers are doing its work. */
interface Leader {
  result: Promise<ExecutionResult>;
  context: GatewayContext;
}

/**
 * Shares executions in flight: a query identical to one still running (same text, operation
 * name, variables and credential) waits for that one's result instead of running again.
 *
 * It is the shared upstream calls taken one level up, under the same switch
 * (`UPSTREAM_DEDUPLICATE`). Sharing the call spares the upstream; sharing the execution also
 * spares the gateway its resolvers and cursors, and, on the direct path, the JSON text, which is
 * most of what a request costs once its call is shared. Nothing is kept once the execution
 * settles, so no answer is older than the request that receives it. Only queries are shared, and
 * only between requests with a credential: the key holds a hash of it, never the credential.
 *
 * It must be the last plugin to set an executor, since it wraps the one it is handed (graphql-jit
 * or graphql-js). Every other hook still runs for every request: limits, metrics, masking and the
 * response cache each see their own request. The result object is shared between requests, so
 * nothing may change it in place; Yoga, envelop and our plugins all build a new one instead.
 */
export function sharedExecutionPlugin(onShared?: () => void): Plugin<GatewayContext> {
  const inFlight = new Map<string, Leader>();
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context: GatewayContext & ParamsContext = args.contextValue;
      const key = sharingKey(context, args.document, args.operationName);
      if (key === null) return;
      setExecuteFn((executionArgs) => {
        const leader = inFlight.get(key);
        if (leader !== undefined) {
          onShared?.();
          // The leader's upstream work now goes on until this request has gone as well: a
          // leader whose client hangs up must not cancel what its followers wait for.
          leader.context.interest.share(context.interest.own);
          return leader.result.then((result) => {
            // What the leader saw upstream sets this request's response-cache lifetime too.
            if (leader.context.seen.activeJob) context.seen.activeJob = true;
            return result;
          });
        }
        const result = Promise.resolve(executeFn(executionArgs) as ExecutionResult).finally(() => {
          inFlight.delete(key);
        });
        inFlight.set(key, { result, context });
        return result;
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
