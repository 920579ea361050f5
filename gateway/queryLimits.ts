// Limits on what one operation may ask, checked before any subgraph is called: tokens
// while parsing (graphql-js's own maxTokens), then depth, aliases, directives and a static
// cost while validating (GraphQL Armor's rules). Page sizes are capped by each subgraph
// (`first` at most 100); batched HTTP requests are off.
import { ApolloArmor } from '@escape.tech/graphql-armor';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxDirectives: number;
}

export function queryLimitRules(limits: QueryLimits, production: boolean) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    // Armor's token plugin throws from a parsing hook, which Apollo Server answers with a
    // 500 (and its catch-all hook would relabel any unexpected error as a client's
    // mistake); the parser's own limit answers 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost },
    maxDirectives: { n: limits.maxDirectives },
    // "Did you mean …?" hints map the schema for whoever probes it; kept in development.
    blockFieldSuggestion: { enabled: production },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins, validationRules, parseOptions: { maxTokens: limits.maxTokens } };
}
