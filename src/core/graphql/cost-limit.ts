import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, getNamedType, isListType, getNullableType, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from './connection';

/** Assumed size of a list that takes no page size (roles of a member, teams of a member...). */
const UNPAGED_LIST_SIZE = 10;

/**
 * Cost of a field: 1, plus its selection; a paginated field (`first`) costs its page size times its
 * selection, `_entities` the number of representations times it, any other list an assumed 10.
 */
export const estimateCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.args.some((argument) => argument.name === 'first')) {
    // A page backward (`last`) is as large as one forward.
    const first = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : DEFAULT_PAGE_SIZE;
    return 1 + Math.max(first, 1) * childComplexity;
  }
  if (field.name === '_entities' && Array.isArray(args.representations)) return 1 + args.representations.length * childComplexity;
  if (isListType(getNullableType(field.type)) && getNamedType(field.type)) return 1 + UNPAGED_LIST_SIZE * childComplexity;
  return 1 + childComplexity;
};

/**
 * Refuses an operation whose estimated cost is above `maximum` before anything runs (DESIGN.md §6:
 * query cost bounded), with BAD_USER_INPUT and the figures.
 */
export function costLimitPlugin(schema: GraphQLSchema, maximum: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName ?? undefined, estimators: [estimateCost] });
          } catch (error) {
            // Bad variables: execution reports them to the client as it always does (nothing runs either way).
            if (error instanceof GraphQLError) return;
            throw error;
          }
          if (cost > maximum) {
            throw new GraphQLError(`Query is too expensive: estimated cost ${cost}, at most ${maximum} allowed (ask for smaller pages)`, {
              extensions: { code: 'BAD_USER_INPUT', cost, maximumCost: maximum, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
