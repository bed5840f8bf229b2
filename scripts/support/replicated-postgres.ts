import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../bench/free-port';

/**
 * A PostgreSQL primary with streaming replicas (`pg_basebackup -R`), and a PgBouncer in transaction
 * pooling mode, all on 127.0.0.1 ports the system picks, in one temporary folder removed at the end. For
 * the scale-out suite (test/scale-out.test.ts) and `npm run bench:replicas`. As root, every server runs as
 * the machine's `postgres` account (PostgreSQL and PgBouncer refuse to run as root).
 */

const run = promisify(execFile);
const ACCOUNT = 'postgres';

export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  readonly name: string;
  readonly port: number;
  readonly dataDirectory: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust authentication, loopback only). */
  url(database?: string): string;
  /** The postmaster's pid while running. */
  readonly pid: number | null;
  readonly running: boolean;
  /** Starts it again (after `stop`), with the same data and port. */
  start(): Promise<void>;
  /** Fast shutdown: sessions are ended at once (clients see 57P01 or a closed connection). */
  stop(): Promise<void>;
  /** CPU time (user + system, ms) of the postmaster and every backend it started, from /proc. */
  cpuMs(): number;
  /** The end of its log. */
  log(): string;
}

export interface ReplicatedPostgres {
  primary: PostgresServer;
  replicas: PostgresServer[];
  /** Waits until every running replica has replayed what the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Stops everything and removes the folder. */
  stop(): Promise<void>;
}

export interface PgBouncer {
  port: number;
  url(database: string): string;
  stop(): Promise<void>;
}

/** Settings for both primary and replicas; pg_stat_statements counts statements per server. */
const SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track': 'top',
  max_connections: '150',
  shared_buffers: '64MB',
  // Throwaway clusters: speed over durability. synchronous_commit stays on (the service's default setting).
  fsync: 'off',
  full_page_writes: 'off',
  wal_level: 'replica',
  max_wal_senders: '10',
  hot_standby: 'on',
  // The scale-out suite reads a replica while the primary changes rows: no query is cancelled for it.
  hot_standby_feedback: 'on',
  wal_receiver_status_interval: '1s',
};

function accountForRoot(): { uid: number; gid: number } | null {
  if (os.userInfo().uid !== 0) return null;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', ACCOUNT], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', ACCOUNT], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error('Running as root: PostgreSQL cannot run as root and this machine has no "postgres" account to run it as.');
  }
}

function chownTree(target: string, owner: { uid: number; gid: number }): void {
  fs.chownSync(target, owner.uid, owner.gid);
  if (!fs.statSync(target).isDirectory()) return;
  for (const entry of fs.readdirSync(target)) chownTree(path.join(target, entry), owner);
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
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Every process under `pid` (itself included), from /proc. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (current: number) => {
    found.push(current);
    for (const child of children.get(current) ?? []) walk(child);
  };
  walk(pid);
  return found;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** utime + stime (fields 14 and 15) plus the waited-for children's (16, 17): exited backends count too. */
function cpuOfTree(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + (member === pid ? Number(fields[13]) + Number(fields[14]) : 0);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * TICK_MS;
}

class Server implements PostgresServer {
  private child: ChildProcess | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDirectory: string,
    private readonly binDirectory: string,
    private readonly socketDirectory: string,
    private readonly logFile: string,
    private readonly owner: { uid: number; gid: number } | null,
    private readonly settings: Record<string, string>,
  ) {}

  url(database = 'postgres'): string {
    return `postgres://${ACCOUNT}@127.0.0.1:${this.port}/${database}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const flags = Object.entries({ ...this.settings, port: String(this.port), unix_socket_directories: this.socketDirectory }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn(path.join(this.binDirectory, 'postgres'), ['-D', this.dataDirectory, ...flags], { stdio: ['ignore', log, log], ...(this.owner ?? {}) });
    fs.closeSync(log);
    await waitUntilAccepting(this.url(), this.child, this.logFile);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGINT');
    if (!(await exited(child, 15_000))) {
      child.kill('SIGKILL');
      await exited(child, 5_000);
    }
  }

  cpuMs(): number {
    return this.pid === null ? 0 : cpuOfTree(this.pid);
  }

  log(): string {
    return fs.readFileSync(this.logFile, 'utf8').slice(-4000);
  }
}

/**
 * initdb, a primary, and `replicas` streaming replicas made with `pg_basebackup -R`, each on a free port.
 * `settings` are added to (or override) the defaults above on every server.
 */
export async function startReplicatedPostgres(options: { replicas: number; binDirectory?: string; settings?: Record<string, string> }): Promise<ReplicatedPostgres> {
  const binDirectory = options.binDirectory ?? DEFAULT_PG_BIN;
  for (const binary of ['initdb', 'postgres', 'pg_basebackup']) {
    if (!fs.existsSync(path.join(binDirectory, binary))) throw new Error(`${binary} not found in ${binDirectory}: install Debian's postgresql-15 (server binaries)`);
  }
  const owner = accountForRoot();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'access-replicated-pg-'));
  fs.chmodSync(root, 0o755);
  const settings = { ...SETTINGS, ...options.settings };
  const servers: Server[] = [];
  const serverFor = async (name: string): Promise<Server> => {
    const dataDirectory = path.join(root, name);
    const logFile = path.join(root, `${name}.log`);
    fs.writeFileSync(logFile, '');
    if (owner) fs.chownSync(logFile, owner.uid, owner.gid);
    return new Server(name, await freePort(), dataDirectory, binDirectory, root, logFile, owner, settings);
  };
  const stopAll = async () => {
    for (const server of [...servers].reverse()) await server.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    if (owner) chownTree(root, owner);
    const primary = await serverFor('primary');
    servers.push(primary);
    fs.mkdirSync(primary.dataDirectory, { mode: 0o700 });
    if (owner) chownTree(primary.dataDirectory, owner);
    await run(path.join(binDirectory, 'initdb'), ['-D', primary.dataDirectory, '-U', ACCOUNT, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], { ...(owner ?? {}) });
    await primary.start();
    for (let index = 1; index <= options.replicas; index += 1) {
      const replica = await serverFor(`replica${index}`);
      await run(path.join(binDirectory, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', ACCOUNT, '-D', replica.dataDirectory, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'], {
        ...(owner ?? {}),
      });
      servers.push(replica);
      await replica.start();
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const [primary, ...replicas] = servers;
  return {
    primary,
    replicas,
    async waitForReplay(timeoutMs = 30_000) {
      const target = await singleValue(primary.url(), 'SELECT pg_current_wal_insert_lsn()::text AS value');
      const deadline = Date.now() + timeoutMs;
      for (const replica of replicas.filter((candidate) => candidate.running)) {
        for (;;) {
          const caughtUp = await singleValue(replica.url(), `SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn AS value`);
          if (caughtUp) break;
          if (Date.now() > deadline) throw new Error(`${replica.name} did not replay ${target} within ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    stop: stopAll,
  };
}

async function singleValue(url: string, sql: string): Promise<unknown> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0].value;
  } finally {
    await client.end();
  }
}

/**
 * PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in front of `targets` (database name →
 * server), trusting every client, with the service's startup parameters ignored (README "Connection pooler").
 */
export async function startPgBouncer(options: { targets: Record<string, PostgresServer>; poolSize?: number; binary?: string }): Promise<PgBouncer> {
  const binary = options.binary ?? '/usr/sbin/pgbouncer';
  if (!fs.existsSync(binary)) throw new Error(`${binary} not found: apt-get install -y pgbouncer`);
  const owner = accountForRoot();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'access-pgbouncer-'));
  fs.chmodSync(root, 0o755);
  const port = await freePort();
  const databases = Object.entries(options.targets).map(([name, server]) => `${name} = host=127.0.0.1 port=${server.port} dbname=${name}`);
  fs.writeFileSync(path.join(root, 'userlist.txt'), `"${ACCOUNT}" ""\n`);
  fs.writeFileSync(
    path.join(root, 'pgbouncer.ini'),
    [
      '[databases]',
      ...databases,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(root, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 20}`,
      'max_client_conn = 500',
      // The service sends its statement limits as startup parameters; behind a transaction pooler they are
      // set per transaction instead (runTransaction), and on the role for reads (README).
      'ignore_startup_parameters = statement_timeout,lock_timeout,idle_in_transaction_session_timeout,extra_float_digits',
      `logfile = ${path.join(root, 'pgbouncer.log')}`,
      `pidfile = ${path.join(root, 'pgbouncer.pid')}`,
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  if (owner) chownTree(root, owner);
  const child = spawn(binary, [path.join(root, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'], ...(owner ?? {}) });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const firstDatabase = Object.keys(options.targets)[0];
  const url = (database: string) => `postgres://${ACCOUNT}@127.0.0.1:${port}/${database}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${stderr}`);
    const client = new Client({ connectionString: url(firstDatabase), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`pgbouncer did not accept connections: ${(error as Error).message} ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port,
    url,
    async stop() {
      child.kill('SIGINT');
      if (!(await exited(child, 5_000))) {
        child.kill('SIGKILL');
        await exited(child, 5_000);
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
