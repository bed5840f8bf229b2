import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

/** A PostgreSQL cluster of the bench's own, in a temporary folder, on 127.0.0.1 only. */
export interface PostgresInstance {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust authentication, local only). */
  url(database?: string, user?: string): string;
  pid: number;
  version: string;
  /** Fast shutdown, then the folder is removed. */
  stop(): Promise<void>;
}

const ACCOUNT = 'postgres';

/**
 * Settings beyond initdb's defaults. pg_stat_statements gives PostgreSQL time and statements per request;
 * shared_buffers holds the whole data set (the 100k organisation included) so runs read no disk; fsync and
 * friends are off because the bench only needs speed of seeding, never durability. work_mem and the
 * planner keep their defaults, as a default deployment has them.
 */
const SETTINGS = {
  listen_addresses: '127.0.0.1',
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.max': '10000',
  'pg_stat_statements.track': 'top',
  shared_buffers: '512MB',
  max_connections: '200',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  autovacuum: 'off', // the bench runs VACUUM ANALYZE itself after seeding; no background pass in the middle of a run
};

/** The `postgres` account's uid/gid when we are root (PostgreSQL refuses to run as root), else null. */
function accountForRoot(): { uid: number; gid: number } | null {
  if (os.userInfo().uid !== 0) return null;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', ACCOUNT], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', ACCOUNT], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error('Running as root: PostgreSQL cannot run as root and this machine has no "postgres" account to run it as. Run the bench as a normal user.');
  }
}

function chownTree(directory: string, owner: { uid: number; gid: number }): void {
  fs.chownSync(directory, owner.uid, owner.gid);
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) chownTree(full, owner);
    else fs.chownSync(full, owner.uid, owner.gid);
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitUntilAccepting(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited (${child.exitCode}) while starting:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * initdb into a temporary folder, then starts `postgres` (as the `postgres` account when we are root) on a
 * free port of 127.0.0.1, with pg_stat_statements loaded (a database needs `CREATE EXTENSION` to read it).
 */
export async function startPostgresInstance(binDirectory: string): Promise<PostgresInstance> {
  for (const binary of ['initdb', 'postgres']) {
    if (!fs.existsSync(path.join(binDirectory, binary))) throw new Error(`${binary} not found in ${binDirectory} (set BENCH_PG_BIN to PostgreSQL's bin folder)`);
  }
  const owner = accountForRoot();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-pg-'));
  const dataDirectory = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  let child: ChildProcess | null = null;
  try {
    fs.mkdirSync(dataDirectory, { mode: 0o700 });
    fs.writeFileSync(logFile, '');
    if (owner) chownTree(root, owner);
    execFileSync(path.join(binDirectory, 'initdb'), ['-D', dataDirectory, '-U', ACCOUNT, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(owner ?? {}),
    });
    const port = await freePort();
    const flags = Object.entries({ ...SETTINGS, port: String(port), unix_socket_directories: root }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    const log = fs.openSync(logFile, 'a');
    child = spawn(path.join(binDirectory, 'postgres'), ['-D', dataDirectory, ...flags], { stdio: ['ignore', log, log], ...(owner ?? {}) });
    fs.closeSync(log);
    const running = child;
    const url = (database = 'postgres', user = ACCOUNT) => `postgres://${user}@127.0.0.1:${port}/${database}`;
    await waitUntilAccepting(url(), running, logFile);
    const client = new Client({ connectionString: url() });
    await client.connect();
    let version: string;
    try {
      version = String((await client.query('SHOW server_version')).rows[0].server_version);
    } finally {
      await client.end();
    }
    let stopped: Promise<void> | null = null;
    return {
      port,
      url,
      pid: running.pid as number,
      version,
      stop: () =>
        (stopped ??= (async () => {
          running.kill('SIGINT'); // fast shutdown: ends the sessions, no checkpoint wait worth keeping
          if (!(await exited(running, 15_000))) {
            running.kill('SIGKILL');
            await exited(running, 5_000);
          }
          remove();
        })()),
    };
  } catch (error) {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child, 5_000);
    }
    remove();
    throw error;
  }
}
