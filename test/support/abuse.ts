/**
 * Operations shaped like graphql-cop's abuse checks and like the legitimate heavy queries the
 * limits must let through, built as text because their point is their size.
 */

/** `{ a0: __typename … }` with `count` aliases. */
export function manyAliases(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(" ")} }`;
}

/** One field repeated `count` times (graphql-cop's field duplication). */
export function duplicatedFields(count: number): string {
  return `{ ${"__typename ".repeat(count)}}`;
}

/** One field carrying `count` directives (graphql-cop's directive overloading). */
export function directiveOverload(count: number): string {
  return `{ __typename ${"@include(if: true) ".repeat(count)}}`;
}

/** graphql-cop's circular introspection: a type's fields' types' fields … */
export const CIRCULAR_INTROSPECTION =
  "query cop { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }";

/** `count` aliased pages of `first` jobs each, with a few fields per job. */
export function aliasedPages(count: number, first: number): string {
  const page = `parseJobs(first: ${first}) { edges { node { id status } } }`;
  return `{ ${Array.from({ length: count }, (_, i) => `p${i}: ${page}`).join(" ")} }`;
}

/** A pinned-jobs dashboard: one aliased `parseJob` per id in `lookups`, plus `nodes(ids:)`. */
export function dashboard(lookups: readonly string[], nodeIds: readonly string[]): string {
  const aliased = lookups.map((id, i) => `j${i}: parseJob(id: ${JSON.stringify(id)}) { ...Row }`);
  return `query Dashboard {
    ${aliased.join("\n    ")}
    pinned: nodes(ids: ${JSON.stringify(nodeIds)}) { id ... on ParseJob { ...Row } }
  }
  fragment Row on ParseJob { id name status tier createdAt updatedAt projectId errorMessage }`;
}

/** `count` aliased `parseJobs(first: $f)`, in an operation `name` declaring `variables`. */
export function variablePages(name: string, variables: string, count: number): string {
  const page = "parseJobs(first: $f) { edges { node { id } } }";
  return `query ${name}(${variables}) { ${Array.from({ length: count }, (_, i) => `p${i}: ${page}`).join(" ")} }`;
}

/** `count` distinct job ids of the demo's shape (`pjb-…`), none of which the demo knows. */
export function unknownIds(count: number, prefix = "pjb-missing"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/** Federation representations of ParseJob, as a router sends them to `_entities`. */
export function representationsOf(
  ids: readonly string[],
): Array<{ __typename: string; id: string }> {
  return ids.map((id) => ({ __typename: "ParseJob", id }));
}

/** The same representations written inline, as GraphQL literals. */
export function inlineRepresentations(ids: readonly string[]): string {
  return `[${ids.map((id) => `{ __typename: "ParseJob", id: ${JSON.stringify(id)} }`).join(", ")}]`;
}
