import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Authenticator } from '../auth/authenticator';
import type { AppServices } from '../context/app-services';
import { RequestContext } from '../context/request-context';
import { currentRequestScope } from '../context/request-scope';
import { checkReadiness } from '../database/data-source';
import { readRouterOf } from '../database/routed-data-source';
import { logger } from '../logger';
import { clientErrorFormatter } from '../graphql/client-error-format';
import { costLimitPlugin } from '../graphql/cost-limit';
import { documentLimitOptions } from '../graphql/query-limits';
import { countListItems, limitedStringify, responseLimitsPlugin } from '../graphql/response-limits';
import { availabilityPlugin } from './availability-plugin';
import { readRoutingPlugin } from './read-routing-plugin';
import { requestDeadline } from './request-deadline';
import { inputGuardPlugin } from '../graphql/input-guard';
import { serveMetrics } from '../observability/metrics-endpoint';
import { requestObserverPlugin } from '../observability/request-observer-plugin';
import { createRequestObserver } from '../observability/request-observer';
import type { Tracing } from '../observability/tracing';
import { corsPolicy } from './cors-policy';
import { graphiqlRoutes } from './graphiql';
import { reviewCampaignReport } from '../../campaigns/review-campaign-report.route';
import { auditExport } from '../../audit/audit-export.route';

export interface AppHandle {
  httpServer: http.Server;
  apollo: ApolloServer<RequestContext>;
  /** Drains in-flight requests and stops accepting new ones. */
  stop(): Promise<void>;
}

/** The HTTP face of the service: POST /graphql, GET /healthz, GET /readyz, GET /metrics (unless METRICS_PORT). */
export async function createApp(services: AppServices, schema: GraphQLSchema, authenticator: Authenticator, tracing: Tracing | null = null): Promise<AppHandle> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const { config } = services;
  const apollo = new ApolloServer<RequestContext>({
    schema: countListItems(schema),
    // Apollo's production behaviour (no introspection) follows NODE_ENV as validated here.
    nodeEnv: config.NODE_ENV,
    formatError: clientErrorFormatter({ production: config.NODE_ENV === 'production', limits: config }),
    includeStacktraceInErrorResponses: false,
    // Request limits (README "Limits and failure behaviour"): the document's shape, then its cost, then the answer.
    ...documentLimitOptions(config),
    stringifyResult: limitedStringify(config.MAX_RESPONSE_BYTES),
    // Federated (inline) traces for the gateway, without the start-up notice.
    // The service owns SIGTERM/SIGINT (src/main.ts): drain, close the pool and the database, exit 0.
    stopOnTerminationSignals: false,
    plugins: [
      inputGuardPlugin(),
      costLimitPlugin(schema, { maximumCost: config.MAX_QUERY_COST, maximumNodes: config.MAX_QUERY_NODES, maximumRepresentations: config.MAX_ENTITY_REPRESENTATIONS }),
      responseLimitsPlugin(config.MAX_LIST_ITEMS),
      availabilityPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTrace({ includeErrors: { masked: true } }),
      ApolloServerPluginLandingPageDisabled(),
      // The subgraph sets no cache hints, yet Apollo's default cache-control plugin hooks every field of every
      // response (willResolveField): about a fifth of the CPU of a Members page (issue 9). Off.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  // Observability: the request's log line and metrics; with tracing on (only then), spans per operation and slow resolver.
  apollo.addPlugin(requestObserverPlugin);
  // With read replicas: where each operation reads (README "Scaling out").
  const readRouter = readRouterOf(services.dataSource);
  if (readRouter) apollo.addPlugin(readRoutingPlugin(readRouter));
  if (tracing) apollo.addPlugin(tracing.apolloPlugin);
  const observer = createRequestObserver();
  await apollo.start();

  app.use(corsPolicy(services.config.CORS_ORIGINS));
  // Our offline GraphiQL on GET /graphql (Apollo's CDN landing page is disabled above).
  app.use(graphiqlRoutes(services.config));

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  // Within READINESS_TIMEOUT_MS whatever the database does (refuses, resets, never answers).
  app.get('/readyz', async (_request, response) => {
    const status = await checkReadiness(services.dataSource, config.READINESS_TIMEOUT_MS);
    if (status !== 'ready') logger.warn({ status }, 'not ready');
    response.status(status === 'ready' ? 200 : 503).json({ status });
  });
  if (services.config.METRICS_PORT === undefined) app.get('/metrics', serveMetrics);
  app.use(
    '/graphql',
    observer.start,
    express.json({ limit: services.config.MAX_BODY_BYTES }),
    // After the body is read (its stream events would lose the scope): everything from here on,
    // authentication included, runs in this request's scope.
    observer.enterScope,
    requestDeadline(config.REQUEST_TIMEOUT_MS),
    ...(tracing ? [tracing.requestMiddleware] : []),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = currentRequestScope()?.requestId ?? randomUUID();
        const { principal, failure } = await authenticator.authenticate(req.headers.authorization);
        return new RequestContext(services, requestId, principal, failure);
      },
    }),
  );
  // Access-review campaign reports as CSV (same bearer token and permission as the API).
  // Downloads (src/core/http/download-route.ts): same bearer token and permission as the API.
  app.get('/reports/review-campaigns/:id.csv', observer.start, observer.enterScope, reviewCampaignReport(services, authenticator));
  app.get('/audit/export', observer.start, observer.enterScope, auditExport(services, authenticator));
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
