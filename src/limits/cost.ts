import { createComplexityRule } from "@pothos/plugin-complexity";
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  validate,
  visit,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { GatewayError } from "../upstream/errors.js";

/**
 * The upstream cost model. What costs is what LlamaCloud does for us: each call, and each job it
 * returns. Fields of a job cost nothing once the job is fetched. The model is static (the shape
 * and arguments of the operation, before anything runs), so an operation is refused before its
 * first upstream call.
 */

/** Price of one upstream call: `parseJobs` makes at least one, a list lookup one per batch. */
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

/**
 * A list lookup (`nodes(ids:)`, federation's `_entities(representations:)`): one job per entry,
 * plus one upstream call per started batch of `batchSize` (LOOKUP_BATCH_SIZE) entries, the most
 * the request's loader asks for in one call. Repeated entries are priced as if distinct, and two
 * lookups in one operation as if they shared no batch: the price is an upper bound.
 */
export function listLookupCost(
  entries: unknown,
  batchSize: number,
): { field: number; multiplier: number } {
  // Input coercion turns a single value into a list of one before this sees it; null (a nullable
  // variable's value, which execution then refuses) looks nothing up.
  const count = Array.isArray(entries) ? entries.length : entries == null ? 0 : 1;
  return {
    field: count * JOB_COST + Math.ceil(count / batchSize) * UPSTREAM_CALL_COST,
    // Whatever the selection under one entry costs (nothing today), it costs once per entry.
    multiplier: count,
  };
}

/**
 * Cost of every field without its own `complexity` (Pothos' `fieldComplexity` default): nothing,
 * and no multiplier for lists. Fields the federation plugin adds after Pothos built the schema
 * never get here: `_entities` is priced in src/schema/federation.ts.
 */
export function defaultFieldComplexity(): { field: number; multiplier: number } {
  return { field: 0, multiplier: 1 };
}

/**
 * Refuses an operation whose cost is above `MAX_QUERY_COST` before it executes. It runs per
 * request, not in (cached) validation, because the cost depends on the variables.
 */
export function costLimitPlugin(config: Config): Plugin {
  const maxComplexity = config.limits.maxCost;
  // The walk below is a whole validation pass (≈ 160 µs for a Relay page query, against ≈ 1 µs
  // for a cache hit): costs are kept per document (Yoga hands out one parsed document per query
  // text), keyed by the operation name and the variables that reach a priced argument (not
  // `after`, which changes on every page of a walk but costs nothing).
  const costs = new WeakMap<
    DocumentNode,
    { pricedVariables: string[]; byKey: Map<string, number> }
  >();
  const cachedMeasure = (args: ExecutionArgs): number | GraphQLError => {
    let entry = costs.get(args.document);
    if (entry === undefined) {
      entry = { pricedVariables: pricedVariables(args.document), byKey: new Map() };
      costs.set(args.document, entry);
    }
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const key = costKey(args.operationName, entry.pricedVariables, variables);
    const known = entry.byKey.get(key);
    if (known !== undefined) return known;
    const measured = measure(args, maxComplexity);
    if (measured instanceof GraphQLError) return measured;
    // Long keys (hundreds of ids) are measured every time rather than kept.
    if (measured.cacheable && key.length <= MAX_COST_KEY_LENGTH) {
      if (entry.byKey.size >= MAX_COSTS_PER_DOCUMENT) entry.byKey.clear();
      entry.byKey.set(key, measured.cost);
    }
    return measured.cost;
  };
  const check = ({
    args,
    setResultAndStopExecution,
  }: {
    args: ExecutionArgs;
    setResultAndStopExecution: (result: ExecutionResult) => void;
  }): void => {
    const found = cachedMeasure(args);
    if (found instanceof GraphQLError) {
      setResultAndStopExecution({ errors: [found] });
      return;
    }
    if (found <= maxComplexity) return;
    setResultAndStopExecution({
      errors: [
        new GatewayError(
          "QUERY_TOO_COSTLY",
          `The operation would cost ${found}, above the limit of ${maxComplexity}: each upstream call costs ${UPSTREAM_CALL_COST} and each job ${JOB_COST} (parseJobs costs ${UPSTREAM_CALL_COST} + first; nodes, _entities and parseJobUpdates cost their ids plus ${UPSTREAM_CALL_COST} per batch of ${config.lookupBatchSize}). Ask for fewer or smaller pages.`,
          { extensions: { cost: found, maxCost: maxComplexity } },
        ),
      ],
    });
  };
  // Subscriptions are priced like queries, before their source starts (and before any read).
  return { onExecute: check, onSubscribe: check };
}

const MAX_COST_KEY_LENGTH = 2048;
const MAX_COSTS_PER_DOCUMENT = 256;

/**
 * Prices the operation, or answers the error of an argument that cannot be priced. A measure that
 * failed on the variables (execution then reports them in its own words) is not `cacheable`: the
 * same priced values may come back with valid variables, and must then be priced for real.
 */
function measure(
  args: ExecutionArgs,
  maxComplexity: number,
): { cost: number; cacheable: boolean } | GraphQLError {
  let cost = 0;
  const rule = createComplexityRule({
    context: args.contextValue as object,
    variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
    operationName: args.operationName,
    maxComplexity,
    onResult: (result) => {
      cost = Math.max(cost, result.complexity);
    },
  });
  try {
    // The rule reports bad variables or an unknown operation name without pricing the operation.
    const errors = validate(args.schema, args.document, [rule]);
    return { cost, cacheable: errors.length === 0 };
  } catch (error) {
    // Reading an argument throws when a variable gives null to a non-null argument (allowed when
    // the variable has a default); execution would refuse it too, but with no code.
    if (!(error instanceof GraphQLError)) throw error;
    return new GatewayError(
      "BAD_USER_INPUT",
      `${error.message} A variable's default applies only when the variable is omitted, not when it is null.`,
    );
  }
}

/**
 * The cache key of a measure. A variable that is omitted takes its default while an explicit
 * null does not, so `[]` (omitted) and `[value]` keep them apart; raw values are a sound key
 * because the cost depends on them alone once they coerce, and a failed coercion is not cached.
 */
function costKey(
  operationName: string | null | undefined,
  names: readonly string[],
  variables: Record<string, unknown>,
): string {
  // `Object.hasOwn`, not `in`: `$__proto__` omitted would otherwise read as given.
  const values = names.map((name) => (Object.hasOwn(variables, name) ? [variables[name]] : []));
  return JSON.stringify([operationName ?? null, ...values]);
}

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
