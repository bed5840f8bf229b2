import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from '../src/core/bootstrap';
import { ConfigError, loadConfig } from '../src/core/config';
import { CatalogueError } from '../src/core/permissions/permission-catalogue';
import { readTestEnvironment, databaseUrl } from './support/test-environment';

/** The ConfigError `loadConfig` throws for this environment (fails the test when it throws nothing). */
function refusal(environment: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(environment)}`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment (development issuer, embedded database)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 4001,
      DATABASE_URL: undefined,
      MIGRATE_ON_START: true,
      AUTH_ISSUER: undefined,
      PLATFORM_ADMIN_CLAIM: 'roles',
      PLATFORM_ADMIN_ROLE: 'platform-admin',
      devIssuer: true,
      DATABASE_POOL_SIZE: 10,
      DATABASE_CONNECT_TIMEOUT_MS: 3000,
      DATABASE_STATEMENT_TIMEOUT_MS: 5000,
      DATABASE_LOCK_TIMEOUT_MS: 3000,
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 10_000,
      DATABASE_QUERY_TIMEOUT_MS: 6000,
      REQUEST_TIMEOUT_MS: 10_000,
      READINESS_TIMEOUT_MS: 1500,
      AUTH_JWKS_CACHE_MAX_AGE_SECONDS: 600,
      AUTH_JWKS_MAX_STALE_SECONDS: 86_400,
    });
    expect(config.AUTH_ALGORITHMS).not.toContain('HS256');
    expect(config.AUTH_ALGORITHMS).not.toContain('none');
    expect(config.dataDir).toBe(path.resolve('.data'));
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgresql://app:secret@db.internal:5432/access',
      AUTH_ISSUER: 'https://idp.example.com/realms/main',
      AUTH_AUDIENCE: 'access-api',
      AUTH_ALGORITHMS: 'RS256, ES256',
      DEFAULT_ORGANISATION: 'everyone',
      MIGRATE_ON_START: 'false',
    });
    expect(config).toMatchObject({ PORT: 8080, AUTH_ALGORITHMS: ['RS256', 'ES256'], DEFAULT_ORGANISATION: 'everyone', MIGRATE_ON_START: false, devIssuer: false });
  });

  const badValues: [string, NodeJS.ProcessEnv, string][] = [
    ['PORT that is not a number', { PORT: 'abc' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['an HMAC algorithm', { AUTH_ALGORITHMS: 'HS256' }, 'AUTH_ALGORITHMS'],
    ['alg none', { AUTH_ALGORITHMS: 'none' }, 'AUTH_ALGORITHMS'],
    ['a safe algorithm mixed with HMAC', { AUTH_ALGORITHMS: 'RS256,HS512' }, 'AUTH_ALGORITHMS'],
    ['an empty algorithm list', { AUTH_ALGORITHMS: ' , ' }, 'AUTH_ALGORITHMS'],
    ['a non-PostgreSQL DATABASE_URL', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'postgres://' + ':::' }, 'DATABASE_URL'],
    ['a DEFAULT_ORGANISATION that is not a slug', { DEFAULT_ORGANISATION: 'Bad Slug' }, 'DEFAULT_ORGANISATION'],
    ['production without AUTH_ISSUER', { NODE_ENV: 'production' }, 'AUTH_ISSUER'],
    ['AUTH_ISSUER without AUTH_AUDIENCE', { AUTH_ISSUER: 'https://idp.example.com' }, 'AUTH_AUDIENCE'],
    ['an AUTH_ISSUER that is not a URL', { AUTH_ISSUER: 'idp.example.com', AUTH_AUDIENCE: 'x' }, 'AUTH_ISSUER'],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, 'NODE_ENV'],
    ['a MIGRATE_ON_START that is not a boolean', { MIGRATE_ON_START: 'perhaps' }, 'MIGRATE_ON_START'],
    ['a negative clock tolerance', { AUTH_CLOCK_TOLERANCE_SECONDS: '-5' }, 'AUTH_CLOCK_TOLERANCE_SECONDS'],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['a statement timeout of 0 (no limit)', { DATABASE_STATEMENT_TIMEOUT_MS: '0' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    ['a request timeout that is not a number', { REQUEST_TIMEOUT_MS: 'soon' }, 'REQUEST_TIMEOUT_MS'],
    ['a client query timeout not beyond the statement timeout', { DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '5000' }, 'DATABASE_QUERY_TIMEOUT_MS'],
    ['an empty pool', { DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    ['a negative JWKS stale allowance', { AUTH_JWKS_MAX_STALE_SECONDS: '-1' }, 'AUTH_JWKS_MAX_STALE_SECONDS'],
    ['a replica URL that is not PostgreSQL', { DATABASE_REPLICA_URLS: 'postgres://replica-1/access,mysql://replica-2/access' }, 'DATABASE_REPLICA_URLS'],
    ['a replica lag limit of 0', { DATABASE_REPLICA_MAX_LAG_MS: '0' }, 'DATABASE_REPLICA_MAX_LAG_MS'],
    ['a replica check interval of 0', { DATABASE_REPLICA_CHECK_INTERVAL_MS: '0' }, 'DATABASE_REPLICA_CHECK_INTERVAL_MS'],
    ['a DATABASE_LISTEN_URL that is not PostgreSQL', { DATABASE_LISTEN_URL: 'http://db/access' }, 'DATABASE_LISTEN_URL'],
  ];
  it.each(badValues)('refuses %s, naming the variable', (_label, environment, variable) => {
    const error = refusal(environment);
    expect(error.message).toMatch(new RegExp(`^\\s*${variable}: \\S`, 'm'));
  });

  it('names every bad variable at once', () => {
    const error = refusal({ PORT: 'abc', AUTH_ALGORITHMS: 'none', DATABASE_URL: 'mysql://x', DEFAULT_ORGANISATION: 'Bad Slug' });
    for (const variable of ['PORT', 'AUTH_ALGORITHMS', 'DATABASE_URL', 'DEFAULT_ORGANISATION']) expect(error.message).toContain(`${variable}:`);
  });

  it('checks the observability variables: metrics port, OTLP endpoint, sampler, resolver threshold', () => {
    const error = refusal({ METRICS_PORT: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', OTEL_TRACES_SAMPLER: 'sometimes', OTEL_RESOLVER_SPAN_THRESHOLD_MS: '-1' });
    for (const variable of ['METRICS_PORT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER', 'OTEL_RESOLVER_SPAN_THRESHOLD_MS']) expect(error.message).toContain(`${variable}:`);
    expect(refusal({ PORT: '9000', METRICS_PORT: '9000' }).message).toContain('METRICS_PORT: must differ from PORT');
    expect(loadConfig({})).toMatchObject({ METRICS_PORT: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: 'access-subgraph', OTEL_RESOLVER_SPAN_THRESHOLD_MS: 10 });
  });

  it('does not echo a DATABASE_URL password in the message', () => {
    const error = refusal({ DATABASE_URL: 'mysql://app:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
    expect(refusal({ DATABASE_REPLICA_URLS: 'postgres://a/x,mysql://app:hunter2@db/x' }).message).toMatch(/DATABASE_REPLICA_URLS: entry 2 must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(refusal({ DATABASE_REPLICA_URLS: 'mysql://app:hunter2@db/x' }).message).not.toContain('hunter2');
  });

  it('reads the read replicas as a list (spaces and empty entries ignored)', () => {
    expect(loadConfig({ DATABASE_REPLICA_URLS: ' postgres://replica-1/access , ,postgresql://replica-2:6432/access ' }).DATABASE_REPLICA_URLS).toEqual([
      'postgres://replica-1/access',
      'postgresql://replica-2:6432/access',
    ]);
    expect(loadConfig({})).toMatchObject({ DATABASE_REPLICA_URLS: [], DATABASE_REPLICA_MAX_LAG_MS: 10_000, DATABASE_REPLICA_CHECK_INTERVAL_MS: 1000, DATABASE_LISTEN_URL: undefined });
  });
});

describe('PERMISSIONS_FILE', () => {
  let directory: string;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'access-permissions-'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  const write = (name: string, content: string) => {
    const file = path.join(directory, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const configWith = (permissionsFile: string) =>
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      // Never reached: the catalogue is checked before the database is touched.
      DATABASE_URL: databaseUrl(readTestEnvironment().adminUrl, 'access_config_test_never_created'),
      DATA_DIR: directory,
      PERMISSIONS_FILE: permissionsFile,
      LOG_LEVEL: 'silent',
    });

  it('makes startup fail with CatalogueError when implications form a cycle', async () => {
    const file = write(
      'cycle.yaml',
      ['- key: apikeys:manage', '  implies: [apikeys:read]', '- key: apikeys:read', '  implies: [apikeys:rotate]', '- key: apikeys:rotate', '  implies: [apikeys:manage]'].join('\n'),
    );
    const failure = startService(configWith(file));
    await expect(failure).rejects.toBeInstanceOf(CatalogueError);
    await expect(failure).rejects.toThrow(/cycle/);
  });

  it('makes startup fail with CatalogueError for an unreadable file, bad syntax, an unknown implication or a clash with a built-in', async () => {
    const cases = [
      path.join(directory, 'missing.json'),
      write('broken.json', '[{"key": '),
      write('unknown.json', JSON.stringify([{ key: 'apikeys:manage', implies: ['apikeys:nothing'] }])),
      write('clash.json', JSON.stringify([{ key: 'members:read' }])),
      write('badkey.json', JSON.stringify([{ key: 'API Keys' }])),
    ];
    for (const file of cases) await expect(startService(configWith(file))).rejects.toBeInstanceOf(CatalogueError);
  });
});
