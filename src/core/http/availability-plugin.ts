import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { ErrorCode } from '../errors';

const listener: GraphQLRequestListener<any> = {
  async willSendResponse({ response }) {
    if (response.body.kind !== 'single') return;
    const { data, errors } = response.body.singleResult;
    if (!errors?.length || !errors.every((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) return;
    // A partial result stays 200, with the code on the fields that failed.
    if (data && Object.values(data).some((value) => value !== null)) return;
    response.http.status = 503;
  },
};

/**
 * HTTP 503 when the whole operation failed because a dependency is unavailable (every error is
 * SERVICE_UNAVAILABLE and no root field has data), so routers and clients know to retry.
 */
export function availabilityPlugin(): ApolloServerPlugin<any> {
  return { requestDidStart: async () => listener };
}
