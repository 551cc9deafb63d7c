import { useGraphQlJit } from "@envelop/graphql-jit";
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  getOperationAST,
  getVariableValues,
  Kind,
  type VariableDefinitionNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";

/**
 * graphql-js (and the executor Yoga runs in its place) stops at this many variable errors; the
 * same bound here keeps a list of a thousand bad ids from answering a thousand errors.
 */
const MAX_VARIABLE_ERRORS = 50;

/**
 * Executes operations with graphql-jit: each distinct document is compiled once into a plain
 * function (the compiled form is kept with Yoga's parsed-document cache, so it is bounded too).
 * It spares graphql-js's generic walk over the selection set on every request, which was the
 * largest single cost of a page query (see BENCHMARKS.md).
 *
 * Two kinds of operation never reach graphql-jit:
 * - one whose variables do not coerce: graphql-jit words some failures differently (a custom
 *   scalar's message is lost, for one), so the errors are graphql-js's own, answered here with
 *   `BAD_USER_INPUT` (see `asBadUserInput`) before anything runs;
 * - one of a document holding several operations: it runs on graphql-js (see `runsCompiled`).
 *
 * test/execution.test.ts holds the two engines to the same answers.
 */
export function compiledExecution(): Plugin {
  // Subscriptions (`parseJobUpdates`) run on graphql-js: only `onExecute` is taken from graphql-jit.
  // Each event of a subscription is one small object, and its source costs far more than its walk.
  const jit = useGraphQlJit();
  return {
    onExecute(payload) {
      const { args } = payload;
      const operation = getOperationAST(args.document, args.operationName);
      // No operation to run: left to the executor, whose error names what is missing (Yoga
      // refuses such a request before execution anyway).
      if (!operation) return;
      const errors = variableErrors(args, operation.variableDefinitions ?? []);
      if (errors !== undefined) {
        payload.setResultAndStopExecution({ errors: errors.map(asBadUserInput) });
        return;
      }
      if (!runsCompiled(args.document)) return;
      return jit.onExecute?.(payload);
    },
    // Bad variables of a subscription get the same BAD_USER_INPUT answer as a query's.
    onSubscribe(payload) {
      const { args } = payload;
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const errors = variableErrors(args, operation.variableDefinitions ?? []);
      if (errors !== undefined)
        payload.setResultAndStopExecution({ errors: errors.map(asBadUserInput) });
    },
  };
}

/**
 * Whether a document may run on graphql-jit. `@envelop/graphql-jit` keeps one compiled query per
 * document object, compiled for whichever operation the first request named, and ignores
 * `operationName` from then on: in `query A {…} query B {…}`, naming B would answer A's data
 * (and the cost limit, which prices the operation named, would price a different one than runs).
 * Its cache cannot be keyed by operation from outside, and documents with several operations are
 * rare (saved GraphiQL tabs, operation collections), so they run on graphql-js, which selects the
 * operation on every request. A document with one operation compiles as before: a request naming
 * anything else is refused by Yoga before execution.
 */
function runsCompiled(document: DocumentNode): boolean {
  let operations = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && ++operations > 1) return false;
  }
  return true;
}

/** The variable coercion errors of an operation, or undefined when its variables are valid. */
function variableErrors(
  args: ExecutionArgs,
  definitions: readonly VariableDefinitionNode[],
): readonly GraphQLError[] | undefined {
  if (definitions.length === 0) return undefined;
  const inputs = (args.variableValues ?? {}) as Record<string, unknown>;
  return getVariableValues(args.schema, definitions, inputs, { maxErrors: MAX_VARIABLE_ERRORS })
    .errors;
}

/**
 * A variable coercion error as clients get it: graphql-js's message, locations and original
 * error (so masking treats it as before), with `extensions.code` BAD_USER_INPUT unless it already
 * had a code, and HTTP 400 as Yoga's executor answers it.
 */
export function asBadUserInput(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: {
      ...error.extensions,
      code: error.extensions.code ?? "BAD_USER_INPUT",
      http: { status: 400 },
    },
  });
}
