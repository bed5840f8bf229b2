import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { RequestContext } from '../context/request-context';
import { currentRequestScope } from '../context/request-scope';

// One listener for every request: it keeps nothing itself (what it learns goes to the request scope),
// so no hooks object is allocated per request.
const listener: GraphQLRequestListener<RequestContext> = {
  async didResolveOperation({ operationName }) {
    const scope = currentRequestScope();
    if (scope) scope.operationName = operationName;
  },
  async willSendResponse({ response, contextValue }) {
    const scope = currentRequestScope();
    if (!scope) return;
    scope.principalId = contextValue?.principal?.user.id;
    const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
    if (errors && errors.length > 0) {
      scope.errorCodes = errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR'));
    }
  },
};

/**
 * Tells the request scope the operation's name, the principal and the response's error codes (the
 * formatted ones, after masking), for the request's log line and metrics (see request-observer).
 */
export const requestObserverPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return listener;
  },
};
