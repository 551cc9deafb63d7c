import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";

/**
 * Armor's structural cost: it grows with nesting and breadth but knows nothing of `first` or of
 * upstream calls, which src/limits/cost.ts prices. Kept as a backstop well above real queries (a
 * 100-job Relay page with fragments scores 95, the 290-lookup dashboard 1,456, ten aliased pages
 * 16,250), so that fan-out is refused by the upstream cost model with its clearer message.
 */
const ARMOR_MAX_STRUCTURAL_COST = 50_000;

/** The error codes of the refusals below, one per limit, so a client can tell which it hit. */
export type LimitErrorCode =
  | "QUERY_TOO_DEEP"
  | "TOO_MANY_ALIASES"
  | "TOO_MANY_TOKENS"
  | "TOO_MANY_DIRECTIVES"
  | "QUERY_TOO_COMPLEX";

/**
 * Armor reports a refusal as a code-less `Syntax Error: …`; this names the limit instead, so
 * every refusal carries `extensions.code` like the gateway's other errors.
 */
function withCode(code: LimitErrorCode) {
  return {
    exposeLimits: true,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        error.message = error.message.replace(/^Syntax Error: /, "");
        Object.assign(error.extensions, { code });
      },
    ],
  };
}

/**
 * graphql-armor, configured: depth, aliases, tokens and structural cost are checked while parsing
 * and validating, so an abusive document is refused before any resolver runs (directives are
 * counted by src/limits/directives.ts).
 * Field suggestions are masked unless the configuration allows them.
 */
export function armorPlugin(config: Config): Plugin {
  const { limits } = config;
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...withCode("QUERY_TOO_DEEP") },
    // Armor ignores `__typename` aliases by default; graphql-cop's alias check uses exactly those.
    maxAliases: { n: limits.maxAliases, allowList: [], ...withCode("TOO_MANY_ALIASES") },
    maxTokens: { n: limits.maxTokens, ...withCode("TOO_MANY_TOKENS") },
    // Off: it misses the directives of repeated fragment spreads; src/limits/directives.ts counts.
    maxDirectives: { enabled: false },
    costLimit: { maxCost: ARMOR_MAX_STRUCTURAL_COST, ...withCode("QUERY_TOO_COMPLEX") },
    blockFieldSuggestion: { enabled: !config.fieldSuggestions },
  }) as Plugin;
}
