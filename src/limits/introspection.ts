import { NoSchemaIntrospectionCustomRule, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";

/**
 * Codes for graphql-js' own refusals, matched on their fixed messages: introspection turned off
 * (`NoSchemaIntrospectionCustomRule`), and circular introspection, which graphql-js refuses itself
 * (`MaxIntrospectionDepthRule`, part of the standard rules since 16.9).
 */
const CODES_BY_MESSAGE: ReadonlyArray<readonly [prefix: string, code: string]> = [
  ["GraphQL introspection has been disabled", "INTROSPECTION_DISABLED"],
  ["Maximum introspection depth exceeded", "INTROSPECTION_TOO_DEEP"],
];

/**
 * Introspection off unless configured (production default), and a code on every validation
 * error: the ones above by name, any other `GRAPHQL_VALIDATION_FAILED`. Validation results are
 * cached per document by Yoga, so this costs nothing on repeated operations.
 */
export function introspectionPlugin(config: Config): Plugin {
  const rules: ValidationRule[] = config.introspection ? [] : [NoSchemaIntrospectionCustomRule];
  return {
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
      return ({ result }) => {
        for (const error of result) {
          if (error.extensions.code !== undefined) continue;
          const code =
            CODES_BY_MESSAGE.find(([prefix]) => error.message.startsWith(prefix))?.[1] ??
            "GRAPHQL_VALIDATION_FAILED";
          Object.assign(error.extensions, { code });
        }
      };
    },
  };
}
