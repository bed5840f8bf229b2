import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startService, type RunningService } from '../../src/core/bootstrap';
import { databaseOptions } from '../../src/core/database/database-options';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/core/config';
import { createDataSource } from '../../src/core/database/data-source';
import { queryCounter } from '../../src/core/database/query-counter';
import { createSuiteDatabase, type SuiteDatabase } from './test-database';
import { TestIdentityProvider, type TokenOptions } from './identity-provider';

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface TestService {
  url: string;
  idp: TestIdentityProvider;
  database: SuiteDatabase;
  service: RunningService;
  /** Sends an operation over HTTP like a client would. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Like `graphql`, with the HTTP status and how long the answer took. */
  request<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLResponse<T>; ms: number }>;
  /** Runs an operation over HTTP and counts the SQL statements the (in-process) server issued for it. */
  countStatements(query: string, variables: Record<string, unknown>, token: string): Promise<{ response: GraphQLResponse; count: number; statements: string[] }>;
  token(options?: TokenOptions): Promise<string>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  /**
   * The service reaches its database at this URL (e.g. through a fault-injecting proxy) with a pool of its
   * own built from the configuration (pool size, DATABASE_*_TIMEOUT_MS); `database.dataSource` stays direct.
   */
  databaseUrl?: (url: string) => string;
  /** Spans go here (tracing on, in memory) instead of to an OTLP collector. */
  spanExporter?: SpanExporter;
}

/**
 * The real service (HTTP, schema, rules, PostgreSQL) on a fresh database of its own, trusting a test
 * identity provider served on 127.0.0.1.
 */
export async function startTestService(environment: Record<string, string> = {}, options: TestServiceOptions = {}): Promise<TestService> {
  const idp = await TestIdentityProvider.start();
  const database = await createSuiteDatabase();
  try {
    return await startOn(idp, database, environment, options);
  } catch (error) {
    await idp.stop();
    await database.drop();
    throw error;
  }
}

async function startOn(idp: TestIdentityProvider, database: SuiteDatabase, environment: Record<string, string>, options: TestServiceOptions): Promise<TestService> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: database.url,
    DATA_DIR: path.resolve(__dirname, '../../.data/test'),
    MIGRATE_ON_START: 'false',
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
    LOG_LEVEL: 'silent',
    // Background workers are off unless a suite turns them on (they drive them with runOnce()).
    OUTBOX_POLL_INTERVAL_MS: '0',
    WEBHOOK_POLL_INTERVAL_MS: '0',
    EVENT_SWEEP_INTERVAL_MS: '0',
    REVIEW_CAMPAIGN_SWEEP_INTERVAL_MS: '0',
    GRANT_EXPIRY_SWEEP_INTERVAL_MS: '0',
    ORGANISATION_PURGE_SWEEP_INTERVAL_MS: '0',
    // Test receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    ...environment,
  });
  const dataSource = options.databaseUrl ? createDataSource(options.databaseUrl(database.url), databaseOptions(config)) : database.dataSource;
  const service = await startService(config, { dataSource, spanExporter: options.spanExporter });
  const request: TestService['request'] = async (query, variables = {}, token = null, headers = {}) => {
    const started = performance.now();
    const send = () =>
      fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
      });
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      // A pooled keep-alive socket the server closed as idle just as it was reused (a busy machine delays
      // both sides' timers): the request never reached the server, so sending it again is safe.
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
      response = await send();
    }
    const body = (await response.json()) as GraphQLResponse;
    return { status: response.status, body, ms: performance.now() - started };
  };
  const graphql: TestService['graphql'] = async (query, variables = {}, token = null, headers = {}) => (await request(query, variables, token, headers)).body;
  return {
    url: service.url,
    idp,
    database,
    service,
    graphql,
    request,
    async countStatements(query, variables, token) {
      // Warm up: provisioning and the user's first sign-in writes are not part of what is measured.
      await graphql('{ viewer { isPlatformAdmin } }', {}, token);
      // Only this request's statements: not a concurrent request's, nor a background worker's.
      const requestId = randomUUID();
      const { result, count, statements } = await queryCounter.measureRequest(requestId, () => graphql(query, variables, token, { 'x-request-id': requestId }));
      // Authentication alone reads the user: zero would mean the request's scope was lost, not a free request.
      if (count === 0) throw new Error('no SQL statement counted for the request: its scope was lost');
      return { response: result, count, statements };
    },
    token: (options) => idp.token(options),
    async stop() {
      await service.stop();
      if (dataSource !== database.dataSource && dataSource.isInitialized) await dataSource.destroy();
      await idp.stop();
      await database.drop();
    },
  };
}

/** The error codes of a response, in order. */
export function errorCodes(response: GraphQLResponse): (string | undefined)[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
