import type { ApolloServerOptions } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { OperationTypeNode, type GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { AppConfig } from '../config';
import { OperationRefusedError, type LimitName } from './operation-refused-error';

/** The limits on a document's shape, checked once per distinct document (Apollo caches validated ones). */
export type DocumentLimits = Pick<AppConfig, 'MAX_QUERY_TOKENS' | 'MAX_QUERY_NODES' | 'MAX_QUERY_DEPTH' | 'MAX_QUERY_ALIASES' | 'MAX_QUERY_DIRECTIVES'>;

/**
 * Apollo Server options that bound a document before anything runs, every check linear in its size:
 * - graphql-js's own `maxLexicalTokens` stops the parser past `MAX_QUERY_TOKENS` (which also bounds the
 *   work of graphql-js's validation rules, some of which are quadratic in the worst case);
 * - Apollo's `maxRecursiveSelections` counts selections with fragments expanded (memoised per
 *   fragment, so fragment fan-out costs its size, not its expansion): `MAX_QUERY_NODES`;
 * - graphql-armor's max-depth, max-aliases and max-directives (memoised per fragment too);
 * - subscriptions, which this subgraph does not serve, are refused by name.
 * Apollo runs these rules after graphql-js's own, and only when those pass.
 */
export function documentLimitOptions(limits: DocumentLimits): Pick<ApolloServerOptions<never>, 'parseOptions' | 'maxRecursiveSelections' | 'validationRules'> {
  return {
    parseOptions: { maxLexicalTokens: limits.MAX_QUERY_TOKENS },
    maxRecursiveSelections: limits.MAX_QUERY_NODES,
    validationRules: [
      maxDepthRule({
        n: limits.MAX_QUERY_DEPTH,
        // Fields count, fragments do not (a spread is not a level); introspection (development only) is not counted.
        flattenFragments: true,
        ignoreIntrospection: true,
        ...refuseWith('MAX_QUERY_DEPTH', limits.MAX_QUERY_DEPTH, (actual) => `Query is nested ${actual} levels deep; at most ${limits.MAX_QUERY_DEPTH} allowed`),
      }),
      maxAliasesRule({
        n: limits.MAX_QUERY_ALIASES,
        ...refuseWith('MAX_QUERY_ALIASES', limits.MAX_QUERY_ALIASES, (actual) => `Query uses ${actual} aliases; at most ${limits.MAX_QUERY_ALIASES} allowed`),
      }),
      maxDirectivesRule({
        n: limits.MAX_QUERY_DIRECTIVES,
        ...refuseWith('MAX_QUERY_DIRECTIVES', limits.MAX_QUERY_DIRECTIVES, (actual) => `Query uses ${actual} directives; at most ${limits.MAX_QUERY_DIRECTIVES} allowed`),
      }),
      noSubscriptionsRule,
    ],
  };
}

/**
 * graphql-armor reports a refusal by throwing its own error (message only, no code); instead, report
 * ours through the validation context, with the limit and the figure armor found.
 */
function refuseWith(limit: LimitName, maximum: number, message: (actual: number | string) => string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        // armor's message ends "… exceeded, found N."; the count is nowhere else.
        const found = /found (\d+)/.exec(error.message);
        const actual = found ? Number(found[1]) : undefined;
        context?.reportError(new OperationRefusedError(message(actual ?? `more than ${maximum}`), { limit, maximum, actual }));
      },
    ],
  };
}

/** This subgraph has no Subscription type: refuse the operation clearly instead of failing inside execution. */
export const noSubscriptionsRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
      context.reportError(new OperationRefusedError('Subscriptions are not supported by this service; send a query or a mutation', {}, [operation]));
    }
  },
});
