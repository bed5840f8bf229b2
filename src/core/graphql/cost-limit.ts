import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, getNamedType, isListType, getNullableType, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { logger } from '../logger';
import { DEFAULT_PAGE_SIZE } from './connection';
import { OperationRefusedError } from './operation-refused-error';

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

/** The limits checked once the operation and its variables are known. */
export interface CostLimits {
  /** `MAX_QUERY_COST`. */
  maximumCost: number;
  /** `MAX_QUERY_NODES`: validation already refused larger operations; the estimate never walks more. */
  maximumNodes: number;
  /** `MAX_ENTITY_REPRESENTATIONS`. */
  maximumRepresentations: number;
}

/** The estimator the plugin runs: {@link estimateCost}, refusing an `_entities` call above its maximum. */
function limitedEstimator(maximumRepresentations: number): ComplexityEstimator {
  return (options) => {
    const { field, args } = options;
    if (field.name === '_entities' && Array.isArray(args.representations) && args.representations.length > maximumRepresentations) {
      throw new OperationRefusedError(`Too many _entities representations: ${args.representations.length}; at most ${maximumRepresentations} per call`, {
        limit: 'MAX_ENTITY_REPRESENTATIONS',
        maximum: maximumRepresentations,
        actual: args.representations.length,
      });
    }
    return estimateCost(options);
  };
}

/**
 * Refuses an operation whose estimated cost is above the maximum before anything runs (DESIGN.md §6:
 * query cost bounded), with BAD_USER_INPUT and the figures. Fails closed: an operation whose cost cannot
 * be computed is refused, never run.
 */
export function costLimitPlugin(schema: GraphQLSchema, limits: CostLimits): ApolloServerPlugin {
  const estimators = [limitedEstimator(limits.maximumRepresentations)];
  // One listener for every request: nothing allocated per request beyond the estimate itself.
  const listener: GraphQLRequestListener<never> = {
    async didResolveOperation({ request, document }) {
      let cost: number;
      try {
        cost = getComplexity({
          schema,
          query: document,
          variables: request.variables ?? {},
          operationName: request.operationName ?? undefined,
          estimators,
          // graphql-query-complexity counts with `>=`: exactly the validated maximum must pass.
          maxQueryNodes: limits.maximumNodes + 1,
        });
      } catch (error) {
        throw unpriced(error);
      }
      if (cost > limits.maximumCost) {
        throw new OperationRefusedError(`Query is too expensive: estimated cost ${cost}, at most ${limits.maximumCost} allowed (ask for smaller pages)`, {
          limit: 'MAX_QUERY_COST',
          maximum: limits.maximumCost,
          actual: cost,
          // The names clients had before `limit`/`maximum`/`actual`.
          cost,
          maximumCost: limits.maximumCost,
        });
      }
    },
  };
  return { requestDidStart: async () => listener };
}

/** Why an operation could not be priced, as a refusal: the operation never runs. */
function unpriced(error: unknown): OperationRefusedError {
  if (error instanceof OperationRefusedError) return error;
  // Variables or arguments that do not fit their types: graphql-js's message says which (and execution
  // would have refused them with the same words).
  if (error instanceof GraphQLError) return new OperationRefusedError(error.message);
  logger.warn({ err: error }, 'query cost could not be computed; operation refused');
  return new OperationRefusedError('Query cost could not be computed, so the operation was not run', { limit: 'MAX_QUERY_COST' });
}
