import { type ASTVisitor, GraphQLError, type ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";

/** Longest piece of a client's parameter quoted back in an error message. */
const MAX_QUOTED_LENGTH = 200;

/**
 * Answers client mistakes that Yoga would otherwise answer as HTTP 500 "Unexpected error" with an
 * error-level stack in the log:
 * - GraphQL parameters that cannot be read (a GET whose `variables` or `extensions` is not JSON, a
 *   form or multipart body that does not parse): HTTP 400, code BAD_REQUEST, quoting the value
 *   (Yoga's own uncoded refusals of a multipart body get the same code and status);
 * - an operation type the schema lacks (`mutation { … }`): a validation
 *   error like any other (Yoga adds code GRAPHQL_VALIDATION_FAILED and its status), where
 *   graphql-jit would throw while compiling it.
 */
export function clientErrorsPlugin(): Plugin {
  return {
    onRequestParse({ request, url, requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      setRequestParser(async (parsed) => {
        try {
          return await requestParser(parsed);
        } catch (error) {
          throw unreadableParameters(error, request.method, url);
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(knownOperationTypes);
    },
  };
}

/**
 * What a request parser's failure becomes. Coded refusals (Yoga's and the gateway's) and a client
 * that went away (an AbortError, which Yoga logs at debug) stay as they are; anything else was
 * thrown while reading what the client sent, so it is the client's.
 */
function unreadableParameters(error: unknown, method: string, url: URL): unknown {
  if (error instanceof GraphQLError) {
    if (error.extensions.code !== undefined) return error;
    // Yoga's multipart parser words its refusals ('Missing multipart form field "operations"')
    // but gives them no code, so they would go out as HTTP 200 with an uncoded error.
    return new GraphQLError(error.message, {
      originalError: error.originalError,
      extensions: { ...error.extensions, code: "BAD_REQUEST", http: { status: 400 } },
    });
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  // A GET's parameters are still at hand in the URL: say which one is broken and show it.
  const broken = method === "GET" ? notJsonParameter(url.searchParams) : undefined;
  const message =
    broken === undefined
      ? `The request's GraphQL parameters could not be read: ${reason}`
      : `The "${broken.name}" parameter is not valid JSON (${reason}): ${quote(broken.value)}`;
  return new GraphQLError(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
}

/** The first of the JSON-valued GET parameters that does not parse, as Yoga reads them. */
function notJsonParameter(params: URLSearchParams): { name: string; value: string } | undefined {
  for (const name of ["variables", "extensions"]) {
    // Yoga reads an empty parameter as absent, so only a non-empty one can fail to parse.
    const value = params.get(name);
    if (!value) continue;
    try {
      JSON.parse(value);
    } catch {
      return { name, value };
    }
  }
  return undefined;
}

function quote(value: string): string {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Validation rule: every operation's type must be one the schema has. graphql-js's specified rules
 * leave this to execution (graphql-js 17 adds it as `KnownOperationTypesRule`), where graphql-jit
 * throws instead of answering; refused here, it is an ordinary validation error, and the cost
 * limit, which runs before execution, never prices an operation on a root type that is missing.
 */
export function knownOperationTypes(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (context.getSchema().getRootType(node.operation)) return;
      const which = node.name
        ? `the ${node.operation} "${node.name.value}"`
        : `this ${node.operation}`;
      context.reportError(
        new GraphQLError(
          `The schema has no ${node.operation} type, so ${which} cannot run: this API answers queries and subscriptions only.`,
          { nodes: node },
        ),
      );
    },
  };
}
