import { GraphQLError, Kind } from "graphql";
import { canonicalInstant, TimestampError } from "../date-time.js";
import { builder } from "./builder.js";

/**
 * Input needs an explicit offset: a bare local time would be silently read in the wrong zone. It
 * is canonicalised, so equal instants written differently are one filter and share cursors.
 */
function parseDateTime(value: unknown): string {
  if (typeof value !== "string") {
    throw new GraphQLError(
      `DateTime must be an ISO 8601 string such as "2025-06-01T12:00:00Z" (got ${JSON.stringify(value)})`,
    );
  }
  try {
    return canonicalInstant(value);
  } catch (error) {
    if (error instanceof TimestampError) throw new GraphQLError(`DateTime: ${error.message}`);
    throw error;
  }
}

export const DateTime = builder.scalarType("DateTime", {
  description:
    "An instant in ISO 8601. Always sent in UTC with `Z`, keeping the fraction digits LlamaCloud gave (up to microseconds), so a value copied from a result into a filter selects the same job. Accepted with any UTC offset and up to 6 significant fraction digits; a value without an offset is refused. Equal instants written differently are the same filter value.",
  // Resolvers already hand over normalized UTC strings (see ParseJob's timestamp fields).
  serialize: (value) => value,
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError(
        'DateTime must be written as a string, such as "2025-06-01T12:00:00Z"',
      );
    }
    return parseDateTime(ast.value);
  },
});
