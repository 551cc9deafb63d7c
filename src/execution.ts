import { useGraphQlJit } from "@envelop/graphql-jit";
import { type ExecutionArgs, getOperationAST, getVariableValues } from "graphql";

/**
 * Executes operations with graphql-jit: each distinct document is compiled once into a plain
 * function (the compiled form is kept with Yoga's parsed-document cache, so it is bounded too).
 * It spares graphql-js's generic walk over the selection set on every request, which was the
 * largest single cost of a page query (see BENCHMARKS.md).
 *
 * graphql-jit coerces variables its own way and words some failures differently (a custom
 * scalar's message is lost, for one), so an operation whose variables graphql-js refuses runs on
 * graphql-js and keeps its exact errors. test/execution.test.ts holds the two engines to the
 * same answers.
 */
export function compiledExecution(): ReturnType<typeof useGraphQlJit> {
  return useGraphQlJit({}, { enableIf: variablesAreValid });
}

function variablesAreValid(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return false;
  const definitions = operation.variableDefinitions ?? [];
  if (definitions.length === 0) return true;
  const coerced = getVariableValues(args.schema, definitions, args.variableValues ?? {});
  return coerced.errors === undefined;
}
