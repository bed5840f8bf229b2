import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

export interface GatewayResponse {
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface TestGateway {
  url: string;
  /** A POST through the router, with the caller's bearer token (none: anonymous). */
  query(query: string, variables: Record<string, unknown>, token?: string): Promise<GatewayResponse>;
  stop(): Promise<void>;
}

/**
 * A supergraph router as the platform runs one (Apollo Gateway composing the subgraphs by introspection) on
 * 127.0.0.1, passing the client's Authorization header to every subgraph.
 */
export async function startGateway(subgraphs: { name: string; url: string }[]): Promise<TestGateway> {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer<{ authorization?: string }>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return {
    url,
    async query(query, variables, token) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GatewayResponse;
    },
    stop: () => server.stop(),
  };
}
