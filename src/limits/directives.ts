import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { LimitErrorCode } from "./armor.js";

/**
 * The directive limit, in place of graphql-armor's `maxDirectives`: armor drops the directives
 * of every spread of a fragment after the first (250 `...F @include(if: true)` count as 1) and
 * ignores those on variable definitions. Here every directive that applies to an operation
 * counts: on the operation, its variable definitions, fields, inline fragments, fragment spreads,
 * and fragment definitions, each fragment's once per spread.
 */

const CODE: LimitErrorCode = "TOO_MANY_DIRECTIVES";

/** Counts the directives an operation applies, following fragment spreads. */
export function countDirectives(
  operation: OperationDefinitionNode,
  fragmentNamed: (name: string) => FragmentDefinitionNode | null | undefined,
): number {
  // A fragment's count is the same at every spread: memoised, the walk visits each fragment once
  // however often it is spread, so it stays linear in the document even when the count does not.
  const fragmentCounts = new Map<string, number>();
  const entered = new Set<string>();
  const inFragment = (name: string): number => {
    const known = fragmentCounts.get(name);
    if (known !== undefined) return known;
    const fragment = fragmentNamed(name);
    // A cycle (which validation refuses anyway) or an unknown fragment adds nothing more.
    if (fragment === null || fragment === undefined || entered.has(name)) return 0;
    entered.add(name);
    const count = (fragment.directives?.length ?? 0) + inSelections(fragment.selectionSet);
    fragmentCounts.set(name, count);
    return count;
  };
  const inSelections = (selectionSet: SelectionSetNode | undefined): number => {
    let count = 0;
    for (const selection of selectionSet?.selections ?? []) {
      count += selection.directives?.length ?? 0;
      count +=
        selection.kind === Kind.FRAGMENT_SPREAD
          ? inFragment(selection.name.value)
          : inSelections(selection.selectionSet);
    }
    return count;
  };
  let count = operation.directives?.length ?? 0;
  for (const variable of operation.variableDefinitions ?? []) {
    count += variable.directives?.length ?? 0;
  }
  return count + inSelections(operation.selectionSet);
}

/** A validation rule refusing each operation that applies more than `max` directives. */
export function maxDirectivesRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const count = countDirectives(operation, (name) => context.getFragment(name));
      if (count <= max) return;
      // Thrown, not reported: the operation is refused as a whole before the other rules spend
      // more on it, with this one error, as graphql-armor's limits do.
      throw new GraphQLError(
        `Directives limit of ${max} exceeded, found ${count}${operation.name ? ` in operation ${operation.name.value}` : ""} (a fragment's directives count once per spread).`,
        { nodes: [operation], extensions: { code: CODE, count, max } },
      );
    },
  });
}

/** Adds the directive limit (`MAX_QUERY_DIRECTIVES`) to Yoga's validation. */
export function directiveLimitPlugin(max: number): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(maxDirectivesRule(max));
    },
  };
}
