import { Kind, parse } from "graphql";

/**
 * Whether a document asks for nothing but this subgraph's SDL: every operation a query whose root
 * selections are `_service` (any alias) or `__typename`, no fragments. A router composes the
 * supergraph from that answer before any user is involved, so it carries no caller's token; the
 * SDL holds no job and is what `SUBGRAPH_TOKEN` guards when set. Anything else, or text that does
 * not parse within a few hundred tokens, is not such a document.
 */
export function asksOnlyForSdl(query: unknown): boolean {
  // The cheap test first: most requests that reach this point are refused callers.
  if (typeof query !== "string" || !query.includes("_service")) return false;
  let document: ReturnType<typeof parse>;
  try {
    // `_service { sdl }` is a handful of tokens; a long text is not one, and is not parsed.
    document = parse(query, { maxTokens: 200, noLocation: true });
  } catch {
    return false;
  }
  return document.definitions.every(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      definition.operation === "query" &&
      definition.selectionSet.selections.every(
        (selection) =>
          selection.kind === Kind.FIELD &&
          (selection.name.value === "_service" || selection.name.value === "__typename") &&
          // `_service`'s own directives would be the only way to bring anything else in.
          (selection.directives?.length ?? 0) === 0,
      ),
  );
}
