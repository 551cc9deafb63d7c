import { type GraphQLFieldResolver, type GraphQLSchema, isUnionType } from "graphql";
import { badUserInput } from "../upstream/errors.js";

/** Longest piece of a representation quoted back in an error message. */
const MAX_QUOTED_LENGTH = 200;

/**
 * Makes `_entities` refuse representations it cannot resolve as the client's mistake. The
 * federation plugin's resolver (@apollo/subgraph's) throws a plain Error for a `__typename` the
 * schema lacks, or for a representation with none, which Yoga masks as "Unexpected error." and
 * logs at error level; and it passes through a representation of a type that is not an entity
 * (`PageInfo`), which then fails without a code ("Runtime Object type … is not a possible type").
 * A router never sends either, so such a representation is refused, whole field, with
 * BAD_USER_INPUT, before the federation resolver sees it. Answers the same schema.
 */
export function checkRepresentations(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  const entity = schema.getType("_Entity");
  if (field === undefined || !isUnionType(entity)) {
    throw new Error("The subgraph schema has no Query._entities over an _Entity union to check");
  }
  const entityTypes = new Set(entity.getTypes().map((type) => type.name));
  const resolve: GraphQLFieldResolver<unknown, unknown> | undefined = field.resolve;
  if (resolve === undefined) throw new Error("Query._entities has no resolver to check");
  // This schema's own field object (toSubGraphSchema builds a new one per schema), so wrapping its
  // resolver leaves every other schema built from the same builder untouched.
  field.resolve = (source, args: Record<string, unknown>, context, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    representations.forEach((representation: unknown, index) => {
      const typename = isObject(representation) ? representation.__typename : undefined;
      if (typeof typename === "string" && entityTypes.has(typename)) return;
      const shown = JSON.stringify(representation) ?? String(representation);
      const quoted =
        shown.length > MAX_QUOTED_LENGTH ? `${shown.slice(0, MAX_QUOTED_LENGTH)}…` : shown;
      throw badUserInput(
        `Representation ${index} of _entities is ${quoted}: it must be an object whose "__typename" names an entity type (${[...entityTypes].join(", ")})`,
      );
    });
    return resolve(source, args, context, info);
  };
  return schema;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
