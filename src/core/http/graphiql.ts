import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { DEV_DEVELOPER, DevIssuer, developmentSubject } from '../auth/dev-issuer';
import type { AppConfig } from '../config';
import { logger } from '../logger';
import { DEFAULT_QUERY, GRAPHIQL_ASSET_PATH, GRAPHIQL_CONTENT_SECURITY_POLICY, graphiqlPage, START_SCRIPT } from './graphiql-page';

/**
 * The browser files of the IDE, each from its npm package: GraphiQL 4's UMD build (the last line that
 * ships one) and React 18's UMD builds, which it reads as globals. No bundler, no CDN.
 */
const PACKAGED_ASSETS: Record<string, string> = {
  'graphiql.min.js': 'graphiql/graphiql.min.js',
  'graphiql.min.css': 'graphiql/graphiql.min.css',
  'react.production.min.js': 'react/umd/react.production.min.js',
  'react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
};

function packageFile(specifier: string): string {
  const [scopeOrName, ...rest] = specifier.split('/');
  return path.join(path.dirname(require.resolve(`${scopeOrName}/package.json`)), ...rest);
}

type DevelopmentTokenConfig = Pick<AppConfig, 'dataDir' | 'devIssuer' | 'PLATFORM_ADMIN_CLAIM' | 'PLATFORM_ADMIN_ROLE' | 'AUTH_AUDIENCE'>;

/**
 * A fresh token of the development issuer for {@link DEV_DEVELOPER}, a platform administrator (so the IDE
 * can create organisations at once). Only when the service trusts that issuer, which is never in production.
 */
function developmentTokens(config: DevelopmentTokenConfig): (() => Promise<string>) | null {
  if (!config.devIssuer) return null;
  let issuer: Promise<DevIssuer> | undefined;
  return async () => {
    issuer ??= DevIssuer.open(config.dataDir);
    return (await issuer).mint({
      subject: developmentSubject(DEV_DEVELOPER.email),
      email: DEV_DEVELOPER.email,
      name: DEV_DEVELOPER.name,
      platformAdmin: true,
      claimName: config.PLATFORM_ADMIN_CLAIM,
      role: config.PLATFORM_ADMIN_ROLE,
      audience: config.AUTH_AUDIENCE,
      expiresIn: '12h',
    });
  };
}

/**
 * The development token is handed to browsers on this machine only: the service listens on every
 * interface, and a platform administrator's token must not reach whoever can open the port.
 */
export function fromThisMachine(remoteAddress: string | undefined): boolean {
  const address = remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** A browser opening /graphql (not a GET operation, not a client asking for JSON). */
function wantsIde(request: Request): boolean {
  return request.query.query === undefined && request.accepts(['application/json', 'text/html']) === 'text/html';
}

/**
 * GraphiQL on GET /graphql and its files under /graphiql/, when `config.graphiql` (GRAPHIQL; on outside
 * production). The header editor holds a development token when the service trusts the development
 * issuer and the browser runs on this machine; otherwise it starts empty. Anything else falls through to
 * the GraphQL endpoint.
 */
export function graphiqlRoutes(config: DevelopmentTokenConfig & Pick<AppConfig, 'graphiql'>): Router {
  const router = Router();
  if (!config.graphiql) return router;
  const mintToken = developmentTokens(config);
  const assets = new Map(Object.entries(PACKAGED_ASSETS).map(([name, specifier]) => [name, packageFile(specifier)]));

  router.get('/graphql', async (request: Request, response: Response, next) => {
    if (!wantsIde(request)) return next();
    try {
      const token = mintToken && fromThisMachine(request.socket.remoteAddress) ? await mintToken() : null;
      const headers = token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : '';
      response
        .status(200)
        .set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': GRAPHIQL_CONTENT_SECURITY_POLICY, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
        .send(graphiqlPage({ headers, defaultQuery: DEFAULT_QUERY }));
    } catch (error) {
      logger.error({ err: error }, 'GraphiQL page failed');
      next(error);
    }
  });
  router.get(`${GRAPHIQL_ASSET_PATH}/start.js`, (_request, response) => {
    response.type('application/javascript').set('cache-control', 'no-cache').send(START_SCRIPT);
  });
  router.get(`${GRAPHIQL_ASSET_PATH}/:file`, (request, response, next) => {
    const file = assets.get(request.params.file);
    if (!file) return next();
    response.sendFile(file, { maxAge: '1h', headers: { 'x-content-type-options': 'nosniff' } });
  });
  return router;
}
