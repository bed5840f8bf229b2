import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { RequestContext } from '../context/request-context';
import type { ReadRouter } from '../database/read-router';

/**
 * Decides each request's read route once its operation is known (before anything executes): a query
 * (`_entities` included) reads its replica unless the caller's own writes are not there yet; a mutation
 * reads and writes the primary. Installed only with read replicas configured.
 */
export function readRoutingPlugin(router: ReadRouter): ApolloServerPlugin<RequestContext> {
  // One listener for every request: what it decides goes to the request scope.
  const listener: GraphQLRequestListener<RequestContext> = {
    async didResolveOperation({ operation, contextValue }) {
      await router.settle(operation?.operation, contextValue.principal?.user.id);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
