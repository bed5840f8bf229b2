import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Authenticator } from '../auth/authenticator';
import type { AppServices } from '../context/app-services';
import { RequestContext } from '../context/request-context';
import { currentRequestScope, runInRequestScope } from '../context/request-scope';
import { migrationsApplied } from '../database/data-source';
import { formatGraphQLError } from '../errors';
import { logger } from '../logger';
import { costLimitPlugin } from '../graphql/cost-limit';
import { depthLimit } from '../graphql/depth-limit';
import { corsPolicy } from './cors-policy';
import { graphiqlRoutes } from './graphiql';

export interface AppHandle {
  httpServer: http.Server;
  apollo: ApolloServer<RequestContext>;
  /** Drains in-flight requests and stops accepting new ones. */
  stop(): Promise<void>;
}

/** The HTTP face of the service: POST /graphql, GET /healthz, GET /readyz. */
export async function createApp(services: AppServices, schema: GraphQLSchema, authenticator: Authenticator): Promise<AppHandle> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError: formatGraphQLError,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit(services.config.MAX_QUERY_DEPTH)],
    // Federated (inline) traces for the gateway, without the start-up notice.
    // The service owns SIGTERM/SIGINT (src/main.ts): drain, close the pool and the database, exit 0.
    stopOnTerminationSignals: false,
    plugins: [costLimitPlugin(schema, services.config.MAX_QUERY_COST), ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTrace({ includeErrors: { masked: true } }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  app.use(corsPolicy(services.config.CORS_ORIGINS));
  // Our offline GraphiQL on GET /graphql (Apollo's CDN landing page is disabled above).
  app.use(graphiqlRoutes(services.config));

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    try {
      await services.dataSource.query('SELECT 1');
      const ready = await migrationsApplied(services.dataSource);
      response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'migrations pending' });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      response.status(503).json({ status: 'database unreachable' });
    }
  });
  app.use(
    '/graphql',
    express.json({ limit: services.config.MAX_BODY_BYTES }),
    // After the body is read (its stream events would lose the scope): everything from here on,
    // authentication included, runs in this request's scope.
    (request: Request, _response: Response, next: NextFunction) => {
      const header = request.headers['x-request-id'];
      runInRequestScope((typeof header === 'string' && header.slice(0, 100)) || randomUUID(), next);
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = currentRequestScope()?.requestId ?? randomUUID();
        const { principal, failure } = await authenticator.authenticate(req.headers.authorization);
        return new RequestContext(services, requestId, principal, failure);
      },
    }),
  );
  app.use(jsonErrors);
  return {
    httpServer,
    apollo,
    stop: () => apollo.stop(),
  };
}

/**
 * Errors raised before GraphQL runs (a body that is not JSON or too large) answer in the GraphQL error
 * format instead of Express's HTML page, which shows a stack trace outside production.
 */
function jsonErrors(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) return next(error);
  const { status, type } = error as { status?: number; type?: string };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = type === 'entity.too.large' ? 'Request body too large' : type === 'entity.parse.failed' ? 'Request body is not valid JSON' : 'Bad request';
    response.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  logger.error({ err: error }, 'unexpected HTTP error');
  response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}
