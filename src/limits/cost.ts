import { createComplexityRule } from "@pothos/plugin-complexity";
import { type DocumentNode, type ExecutionArgs, validate, visit } from "graphql";
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

/**
 * The arguments the prices above read. The cost of an operation is a function of its document and
 * of these arguments' values alone, which lets it be cached (see `costLimitPlugin`): a field priced
 * by another argument must add that argument's name here.
 */
export const COST_ARGUMENTS = new Set(["first", "ids", "representations"]);

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
  // The walk below is a whole validation pass: as costly as executing a page query. Yoga hands out
  // one parsed document per query text, so costs are kept per document, keyed by the operation
  // name and the values of the variables that reach a priced argument (not `after`, which changes
  // on every page of a walk but costs nothing).
  const costs = new WeakMap<
    DocumentNode,
    { pricedVariables: string[]; byKey: Map<string, number> }
  >();
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
  const cachedMeasure = (args: ExecutionArgs): number => {
    let entry = costs.get(args.document);
    if (entry === undefined) {
      entry = { pricedVariables: pricedVariables(args.document), byKey: new Map() };
      costs.set(args.document, entry);
    }
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const key = JSON.stringify([
      args.operationName ?? "",
      ...entry.pricedVariables.map((name) => variables[name] ?? null),
    ]);
    // Long keys (hundreds of ids) are measured every time rather than kept.
    if (key.length > MAX_COST_KEY_LENGTH) return measure(args);
    let found = entry.byKey.get(key);
    if (found === undefined) {
      found = measure(args);
      if (entry.byKey.size >= MAX_COSTS_PER_DOCUMENT) entry.byKey.clear();
      entry.byKey.set(key, found);
    }
    return found;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const found = cachedMeasure(args);
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

const MAX_COST_KEY_LENGTH = 2048;
const MAX_COSTS_PER_DOCUMENT = 256;

/** Names of the variables used (at any depth) in the value of a priced argument. */
function pricedVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  let inPricedArgument = 0;
  visit(document, {
    Argument: {
      enter: (node) => {
        if (COST_ARGUMENTS.has(node.name.value)) inPricedArgument++;
      },
      leave: (node) => {
        if (COST_ARGUMENTS.has(node.name.value)) inPricedArgument--;
      },
    },
    Variable: (node) => {
      if (inPricedArgument > 0) names.add(node.name.value);
    },
  });
  return [...names].sort();
}
