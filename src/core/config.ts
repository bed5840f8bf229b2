import { isIP } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { bool, cleanEnv, makeValidator, port, str, url } from 'envalid';
import { DEFAULT_DATABASE_TIMEOUTS } from './database/database-timeouts';

/** Raised when the environment does not describe a runnable service. */
export class ConfigError extends Error {}

const SAFE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const commaList = makeValidator<string[]>((input) =>
  input.split(',').map((part) => part.trim()).filter((part) => part.length > 0),
);

// Only asymmetric algorithms: `none` and HMAC (which would let a public key act as a shared secret) are refused.
const algorithmList = makeValidator<string[]>((input) => {
  const algorithms = input.split(',').map((part) => part.trim()).filter(Boolean);
  if (algorithms.length === 0) throw new Error('must list at least one algorithm');
  for (const algorithm of algorithms) {
    if (!SAFE_ALGORITHMS.includes(algorithm)) {
      throw new Error(`"${algorithm}" is not allowed; choose from ${SAFE_ALGORITHMS.join(', ')}`);
    }
  }
  return algorithms;
});

function checkDatabaseUrl(input: string): string {
  if (!/^postgres(ql)?:\/\//.test(input)) throw new Error('must be a postgres:// or postgresql:// URL');
  try {
    new URL(input);
  } catch {
    // Our own Error: envalid reports only `instanceof Error`, and URL's TypeError may come from another realm (Jest's VM).
    throw new Error('is not a valid URL');
  }
  return input;
}

const databaseUrl = makeValidator<string>(checkDatabaseUrl);

// Read replicas: comma-separated postgres:// URLs, each checked like DATABASE_URL.
const databaseUrlList = makeValidator<string[]>((input) =>
  input
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((entry, index) => {
      try {
        return checkDatabaseUrl(entry);
      } catch (error) {
        throw new Error(`entry ${index + 1} ${(error as Error).message}`);
      }
    }),
);

const slug = makeValidator<string>((input) => {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input)) throw new Error('must be an organisation slug (lowercase letters, digits, hyphens)');
  return input;
});

const positiveInteger = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 0) throw new Error('must be a whole number ≥ 0');
  return value;
});

// Timeouts and sizes fail closed: 0 would mean "wait forever" to PostgreSQL, or no connection at all.
const atLeastOne = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 1) throw new Error('must be a whole number ≥ 1');
  return value;
});

const smtpUrl = makeValidator<string>((input) => {
  if (!/^smtps?:\/\//.test(input)) throw new Error('must be an smtp:// or smtps:// URL');
  return input;
});

// 0 asks the system for a free port (tests); envalid's port() refuses it.
const listenPort = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error('must be a port number (0–65535)');
  return value;
});

// DNS servers as node's resolver takes them: an IP address with an optional port (`127.0.0.1:5353`,
// `[::1]:53`). A host name would itself need a resolver, so it is refused.
const dnsServerList = makeValidator<string[]>((input) => {
  const servers = input.split(',').map((part) => part.trim()).filter(Boolean);
  if (servers.length === 0) throw new Error('must list at least one server (host:port)');
  for (const server of servers) {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+))(?::(\d{1,5}))?$/.exec(server) ?? /^([0-9a-fA-F:]+)$/.exec(server);
    const address = match?.[1] ?? match?.[2];
    const portNumber = match?.[3] === undefined ? 53 : Number(match[3]);
    if (!address || !isIP(address) || portNumber < 1 || portNumber > 65535) {
      throw new Error(`"${server}" is not an IP address with an optional port (e.g. 127.0.0.1:5353 or [::1]:53)`);
    }
  }
  return servers;
});

// Browser origins as browsers send them (`Origin`): scheme, host, optional port; no path, no wildcard.
const originList = makeValidator<string[]>((input) => {
  const origins = input.split(',').map((part) => part.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // URL's TypeError may come from another realm (Jest's VM): report our own Error (see databaseUrl).
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new Error(`"${origin}" is not an origin like https://dashboard.example.com or http://localhost:3000 (no path, no trailing slash, no wildcard)`);
    }
  }
  return origins;
});

const wholeDays = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 1 || value > 3650) throw new Error('must be a whole number of days (1–3650)');
  return value;
});

// 32 random bytes, base64: the AES-256-GCM key that seals webhook signing secrets at rest.
const secretKey = makeValidator<string>((input) => {
  if (Buffer.from(input, 'base64').length !== 32) throw new Error('must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  return input;
});

const specs = {
  NODE_ENV: str({ choices: ['development', 'test', 'production'], default: 'development' }),
  PORT: listenPort({ default: 4001 }),
  DATABASE_URL: databaseUrl({ default: undefined }),
  DATA_DIR: str({ default: '.data', desc: 'where the embedded PostgreSQL and the development signing key live' }),
  EMBEDDED_POSTGRES_PORT: port({ default: 54329 }),
  MIGRATE_ON_START: bool({ default: true }),
  DATABASE_POOL_SIZE: atLeastOne({ default: 10, desc: 'connections in the pool' }),
  DATABASE_CONNECT_TIMEOUT_MS: atLeastOne({ default: DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs, desc: 'opening a connection, or waiting for a free one' }),
  DATABASE_STATEMENT_TIMEOUT_MS: atLeastOne({ default: DEFAULT_DATABASE_TIMEOUTS.statementTimeoutMs, desc: 'server-side limit of one statement' }),
  DATABASE_LOCK_TIMEOUT_MS: atLeastOne({ default: DEFAULT_DATABASE_TIMEOUTS.lockTimeoutMs, desc: 'server-side limit of one lock wait' }),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: atLeastOne({ default: DEFAULT_DATABASE_TIMEOUTS.idleInTransactionTimeoutMs, desc: 'server-side limit of an idle open transaction' }),
  DATABASE_QUERY_TIMEOUT_MS: atLeastOne({ default: DEFAULT_DATABASE_TIMEOUTS.queryTimeoutMs, desc: 'client-side limit of one statement the server never answers' }),
  // Scale-out (README "Scaling out"): read replicas, the LISTEN connection.
  DATABASE_REPLICA_URLS: databaseUrlList({ default: [], desc: 'comma-separated postgres:// URLs of streaming read replicas; queries read there, mutations on DATABASE_URL' }),
  DATABASE_REPLICA_MAX_LAG_MS: atLeastOne({ default: 10_000, desc: 'a replica further behind the primary than this is skipped' }),
  DATABASE_REPLICA_CHECK_INTERVAL_MS: atLeastOne({ default: 1000, desc: 'how often each replica health and lag is checked' }),
  DATABASE_LISTEN_URL: databaseUrl({ default: undefined, desc: 'direct (not pooled) connection for LISTEN/NOTIFY; default: DATABASE_URL' }),
  REQUEST_TIMEOUT_MS: atLeastOne({ default: 10_000, desc: 'a GraphQL request still running after this is answered SERVICE_UNAVAILABLE (TIMEOUT) and rolled back' }),
  READINESS_TIMEOUT_MS: atLeastOne({ default: 1500, desc: '/readyz answers 503 when the database has not answered within this' }),
  AUTH_ISSUER: url({ default: undefined }),
  AUTH_AUDIENCE: str({ default: undefined }),
  AUTH_JWKS_URL: url({ default: undefined }),
  AUTH_ALGORITHMS: algorithmList({ default: ['RS256', 'PS256', 'ES256', 'EdDSA'] }),
  AUTH_CLOCK_TOLERANCE_SECONDS: positiveInteger({ default: 5 }),
  AUTH_JWKS_COOLDOWN_SECONDS: positiveInteger({ default: 30, desc: 'least time between two JWKS fetches caused by unknown key ids' }),
  AUTH_JWKS_CACHE_MAX_AGE_SECONDS: positiveInteger({ default: 600, desc: 'age after which the key set is fetched again' }),
  AUTH_JWKS_MAX_STALE_SECONDS: positiveInteger({ default: 86_400, desc: 'how long past its cache age the last good key set is still used while the JWKS endpoint fails' }),
  AUTH_MFA_AMR_VALUES: commaList({ default: ['mfa', 'otp', 'hwk', 'swk', 'sms', 'fpt', 'face', 'iris'] }),
  PLATFORM_ADMIN_CLAIM: str({ default: 'roles' }),
  PLATFORM_ADMIN_ROLE: str({ default: 'platform-admin' }),
  PERMISSIONS_FILE: str({ default: undefined }),
  DEFAULT_ORGANISATION: slug({ default: undefined }),
  LAST_SIGN_IN_INTERVAL_SECONDS: positiveInteger({ default: 300 }),
  MAX_QUERY_DEPTH: positiveInteger({ default: 12 }),
  MAX_QUERY_COST: positiveInteger({ default: 250_000, desc: 'estimated cost (fields × page sizes) above which an operation is refused' }),
  MAX_BODY_BYTES: positiveInteger({ default: 1_000_000 }),
  MAX_QUERY_TOKENS: positiveInteger({ default: 500, desc: 'lexical tokens a document may hold; parsing stops past it' }),
  MAX_QUERY_NODES: positiveInteger({ default: 1_000, desc: 'selections an operation may make, counted with fragments expanded' }),
  MAX_QUERY_ALIASES: positiveInteger({ default: 30 }),
  MAX_QUERY_DIRECTIVES: positiveInteger({ default: 50 }),
  MAX_ENTITY_REPRESENTATIONS: positiveInteger({ default: 1_000, desc: 'representations one federation _entities call may carry' }),
  MAX_LIST_ITEMS: positiveInteger({ default: 50_000, desc: 'list items one request may resolve, all lists together' }),
  MAX_RESPONSE_BYTES: positiveInteger({ default: 5_000_000, desc: 'size of the serialised answer' }),
  INVITATION_ACCEPT_URL_BASE: url({ default: 'http://localhost:3000/invitations/accept', desc: 'invitation emails link here, with ?token=…' }),
  SMTP_URL: smtpUrl({ default: undefined, desc: 'smtp:// or smtps:// URL; unset: invitation emails are logged, not sent' }),
  MAIL_FROM: str({ default: 'no-reply@localhost' }),
  OUTBOX_POLL_INTERVAL_MS: positiveInteger({ default: 5000, desc: 'how often the email outbox is polled; 0 turns the outbox worker off' }),
  OUTBOX_MAX_ATTEMPTS: positiveInteger({ default: 8, desc: 'deliveries tried before an outbox email is marked FAILED' }),
  DNS_SERVERS: dnsServerList({ default: undefined, desc: 'comma-separated host:port DNS servers for domain verification; unset: the system resolver' }),
  DNS_TIMEOUT_MS: atLeastOne({ default: 1000, desc: 'first DNS attempt timeout (each retry waits twice as long)' }),
  DNS_TRIES: atLeastOne({ default: 2, desc: 'DNS attempts per server before a lookup fails' }),
  GRAPHIQL: bool({ default: undefined, desc: 'serve the GraphiQL IDE on GET /graphql; default: on outside production' }),
  CORS_ORIGINS: originList({ default: [], desc: 'browser origins allowed to call the API (comma-separated); default: none' }),
  EVENT_RETENTION_DAYS: wholeDays({ default: 30, desc: 'domain events (and their webhook deliveries) older than this are deleted' }),
  EVENT_SWEEP_INTERVAL_MS: positiveInteger({ default: 60_000, desc: 'how often expired invitations are announced and old events deleted; 0 turns the sweeper off' }),
  WEBHOOK_POLL_INTERVAL_MS: positiveInteger({ default: 1000, desc: 'how often the webhook delivery worker polls; 0 turns it off' }),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool({ default: false, desc: 'let webhook endpoints resolve to loopback, private, link-local and other internal addresses (tests, local development)' }),
  WEBHOOK_SECRET_KEY: secretKey({ default: undefined, desc: 'base64 32-byte key sealing webhook signing secrets at rest (AES-256-GCM); unset: stored as they are' }),
  REVIEW_CAMPAIGN_SWEEP_INTERVAL_MS: positiveInteger({ default: 60_000, desc: 'how often review campaigns past their due date are closed (default decision applied, recurring ones renewed); 0 turns the sweeper off' }),
  GRANT_EXPIRY_SWEEP_INTERVAL_MS: positiveInteger({ default: 60_000, desc: 'how often expired time-bound grants are removed (member.role_expired) and stale elevation requests expired; 0 turns the sweeper off (expired grants count for nothing either way)' }),
  ELEVATION_REQUEST_PENDING_HOURS: atLeastOne({ default: 24, desc: 'hours an elevation request waits for a decision before it is EXPIRED' }),
  ORGANISATION_PURGE_DAYS: wholeDays({ default: 30, desc: 'days a deleted organisation stays reactivatable before the purge sweeper removes its contents' }),
  ORGANISATION_PURGE_SWEEP_INTERVAL_MS: positiveInteger({ default: 3_600_000, desc: 'how often organisations deleted more than ORGANISATION_PURGE_DAYS ago are purged; 0 turns the sweeper off' }),
  REVIEW_CAMPAIGN_MAX_ITEMS: atLeastOne({ default: 100_000, desc: 'items one review campaign may snapshot; a larger scope is refused' }),
  LOG_LEVEL: str({ choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
  // Observability (src/core/observability). The other standard OTEL_* variables are read by the SDK itself.
  METRICS_PORT: listenPort({ default: undefined, desc: 'serve GET /metrics on this port only (not with the API); unset: on PORT' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: url({ default: undefined, desc: 'OTLP/HTTP collector; set: traces are exported (/v1/traces appended)' }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url({ default: undefined, desc: 'OTLP/HTTP traces URL, used as is' }),
  OTEL_SDK_DISABLED: bool({ default: false }),
  OTEL_SERVICE_NAME: str({ default: 'access-subgraph' }),
  OTEL_TRACES_SAMPLER: str({
    choices: ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'],
    default: 'parentbased_always_on',
  }),
  OTEL_RESOLVER_SPAN_THRESHOLD_MS: positiveInteger({ default: 10, desc: 'resolvers taking at least this long get a span' }),
};

/** Every environment variable the service reads (`.env.example` and the README list each one; a test checks). */
export const CONFIG_VARIABLES = Object.keys(specs);

export type AppConfig = ReturnType<typeof readRawConfig> & {
  dataDir: string;
  devIssuer: boolean;
  /** GRAPHIQL, defaulting to on outside production. */
  graphiql: boolean;
};

function readRawConfig(environment: NodeJS.ProcessEnv) {
  return cleanEnv(environment, specs, {
    reporter: ({ errors }) => {
      const lines = Object.entries(errors).map(([name, error]) => `  ${name}: ${(error as Error).message}`);
      if (lines.length > 0) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
    },
  });
}

/**
 * Reads and validates the configuration. Throws {@link ConfigError} naming every bad variable.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = readRawConfig(environment);
  const problems: string[] = [];
  if (!raw.AUTH_ISSUER && raw.NODE_ENV === 'production') {
    problems.push('  AUTH_ISSUER: required in production (the development issuer is never trusted there)');
  }
  if (raw.AUTH_ISSUER && !raw.AUTH_AUDIENCE) {
    problems.push('  AUTH_AUDIENCE: required when AUTH_ISSUER is set (tokens must be meant for this service)');
  }
  if (raw.DATABASE_QUERY_TIMEOUT_MS <= raw.DATABASE_STATEMENT_TIMEOUT_MS) {
    // Otherwise the client would drop connections whose statement the server was about to cancel itself.
    problems.push('  DATABASE_QUERY_TIMEOUT_MS: must be longer than DATABASE_STATEMENT_TIMEOUT_MS');
  }
  if (raw.METRICS_PORT !== undefined && raw.METRICS_PORT !== 0 && raw.METRICS_PORT === raw.PORT) {
    problems.push('  METRICS_PORT: must differ from PORT (unset it to serve /metrics with the API)');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return { ...raw, dataDir: path.resolve(raw.DATA_DIR), devIssuer: !raw.AUTH_ISSUER, graphiql: raw.GRAPHIQL ?? raw.NODE_ENV !== 'production' };
}

/**
 * Loads `.env` from the working directory when there is one (see `.env.example`); variables already set
 * in the environment win. For the service and the CLI, not for tests (they pass their environment).
 */
export function loadEnvironmentFile(file = path.resolve('.env')): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}
