import { createComplexityRule } from "@pothos/plugin-complexity";
import { type DocumentNode, type ExecutionArgs, validate } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { GatewayError } from "../upstream/errors.js";

/**
 * The upstream cost model. What costs is what LlamaCloud does for us: each call, and each job it
 * returns. Fields of a job cost nothing once the job is fetched. The model is static (the shape
 * and arguments of the operation, before anything runs), so an operation is refused before its
 * first upstream call.
 */

/** Price of one list call: `parseJobs` makes at least one. */
export const UPSTREAM_CALL_COST = 50;
/** Price of one job returned (lookups by id share batched calls, so they cost their jobs only). */
export const JOB_COST = 1;

/** `parseJobs(first: N)`: one call plus N jobs. `first` multiplies: 14 × `first: 100` is 2,100. */
export function pageCost(first: number | null | undefined, fallback: number): number {
  return UPSTREAM_CALL_COST + Math.max(0, first ?? fallback) * JOB_COST;
}

/** `nodes(ids:)` and `_entities(representations:)`: one job per entry. */
export function listLookupCost(entries: unknown): number {
  return (Array.isArray(entries) ? entries.length : 1) * JOB_COST;
}

/**
 * Cost of every field without its own `complexity` (Pothos' `fieldComplexity` default): nothing,
 * and no multiplier for lists. `_entities` (added by the federation plugin, which takes no
 * complexity option) costs one job per representation, so hundreds of them pass the default limit.
 */
export function defaultFieldComplexity(
  args: Record<string, unknown>,
  _context: unknown,
  field: { name: string },
): { field: number; multiplier: number } {
  if (field.name === "_entities") {
    return { field: listLookupCost(args.representations), multiplier: 1 };
  }
  return { field: 0, multiplier: 1 };
}

/**
 * Refuses an operation whose cost is above `MAX_QUERY_COST` before it executes. It runs per
 * request, not in (cached) validation, because the cost depends on the variables.
 */
export function costLimitPlugin(config: Config): Plugin {
  const maxComplexity = config.limits.maxCost;
  // Without variables the cost depends on the document alone, and Yoga hands out one parsed
  // document per query text: the walk is done once per document instead of once per request.
  const costWithoutVariables = new WeakMap<DocumentNode, Map<string, number>>();
  const measure = (args: ExecutionArgs): number => {
    let found = 0;
    const rule = createComplexityRule({
      context: args.contextValue as object,
      variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
      operationName: args.operationName,
      maxComplexity,
      onResult: (result) => {
        found = Math.max(found, result.complexity);
      },
    });
    validate(args.schema, args.document, [rule]);
    return found;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      let found: number;
      const variables = args.variableValues;
      if (variables === undefined || variables === null || Object.keys(variables).length === 0) {
        let byOperation = costWithoutVariables.get(args.document);
        if (byOperation === undefined) {
          byOperation = new Map();
          costWithoutVariables.set(args.document, byOperation);
        }
        const name = args.operationName ?? "";
        found = byOperation.get(name) ?? measure(args);
        byOperation.set(name, found);
      } else {
        found = measure(args);
      }
      // Bad variables are left to execution, which reports them in its own words.
      if (found <= maxComplexity) return;
      setResultAndStopExecution({
        errors: [
          new GatewayError(
            "QUERY_TOO_COSTLY",
            `The operation would cost ${found}, above the limit of ${maxComplexity}: each upstream call costs ${UPSTREAM_CALL_COST} and each job ${JOB_COST} (parseJobs costs ${UPSTREAM_CALL_COST} + first). Ask for fewer or smaller pages.`,
            { extensions: { cost: found, maxCost: maxComplexity } },
          ),
        ],
      });
    },
  };
}
