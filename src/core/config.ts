import path from 'node:path';
import { bool, cleanEnv, makeValidator, port, str, url } from 'envalid';

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

const databaseUrl = makeValidator<string>((input) => {
  if (!/^postgres(ql)?:\/\//.test(input)) throw new Error('must be a postgres:// or postgresql:// URL');
  try {
    new URL(input);
  } catch {
    // Our own Error: envalid reports only `instanceof Error`, and URL's TypeError may come from another realm (Jest's VM).
    throw new Error('is not a valid URL');
  }
  return input;
});

const slug = makeValidator<string>((input) => {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input)) throw new Error('must be an organisation slug (lowercase letters, digits, hyphens)');
  return input;
});

const positiveInteger = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isInteger(value) || value < 0) throw new Error('must be a whole number ≥ 0');
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
  AUTH_ISSUER: url({ default: undefined }),
  AUTH_AUDIENCE: str({ default: undefined }),
  AUTH_JWKS_URL: url({ default: undefined }),
  AUTH_ALGORITHMS: algorithmList({ default: ['RS256', 'PS256', 'ES256', 'EdDSA'] }),
  AUTH_CLOCK_TOLERANCE_SECONDS: positiveInteger({ default: 5 }),
  AUTH_JWKS_COOLDOWN_SECONDS: positiveInteger({ default: 30, desc: 'least time between two JWKS fetches caused by unknown key ids' }),
  AUTH_MFA_AMR_VALUES: commaList({ default: ['mfa', 'otp', 'hwk', 'swk', 'sms', 'fpt', 'face', 'iris'] }),
  PLATFORM_ADMIN_CLAIM: str({ default: 'roles' }),
  PLATFORM_ADMIN_ROLE: str({ default: 'platform-admin' }),
  PERMISSIONS_FILE: str({ default: undefined }),
  DEFAULT_ORGANISATION: slug({ default: undefined }),
  LAST_SIGN_IN_INTERVAL_SECONDS: positiveInteger({ default: 300 }),
  MAX_QUERY_DEPTH: positiveInteger({ default: 12 }),
  MAX_QUERY_COST: positiveInteger({ default: 250_000, desc: 'estimated cost (fields × page sizes) above which an operation is refused' }),
  MAX_BODY_BYTES: positiveInteger({ default: 1_000_000 }),
  INVITATION_ACCEPT_URL_BASE: url({ default: 'http://localhost:3000/invitations/accept', desc: 'invitation emails link here, with ?token=…' }),
  SMTP_URL: smtpUrl({ default: undefined, desc: 'smtp:// or smtps:// URL; unset: invitation emails are logged, not sent' }),
  MAIL_FROM: str({ default: 'no-reply@localhost' }),
  OUTBOX_POLL_INTERVAL_MS: positiveInteger({ default: 5000, desc: 'how often the email outbox is polled; 0 turns the outbox worker off' }),
  OUTBOX_MAX_ATTEMPTS: positiveInteger({ default: 8, desc: 'deliveries tried before an outbox email is marked FAILED' }),
  EVENT_RETENTION_DAYS: wholeDays({ default: 30, desc: 'domain events (and their webhook deliveries) older than this are deleted' }),
  EVENT_SWEEP_INTERVAL_MS: positiveInteger({ default: 60_000, desc: 'how often expired invitations are announced and old events deleted; 0 turns the sweeper off' }),
  WEBHOOK_POLL_INTERVAL_MS: positiveInteger({ default: 1000, desc: 'how often the webhook delivery worker polls; 0 turns it off' }),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool({ default: false, desc: 'let webhook endpoints resolve to loopback, private, link-local and other internal addresses (tests, local development)' }),
  WEBHOOK_SECRET_KEY: secretKey({ default: undefined, desc: 'base64 32-byte key sealing webhook signing secrets at rest (AES-256-GCM); unset: stored as they are' }),
  LOG_LEVEL: str({ choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }),
};

export type AppConfig = ReturnType<typeof readRawConfig> & { dataDir: string; devIssuer: boolean };

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
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return { ...raw, dataDir: path.resolve(raw.DATA_DIR), devIssuer: !raw.AUTH_ISSUER };
}
