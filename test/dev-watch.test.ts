import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';

/**
 * `npm run dev`: compiles, starts the service, and rebuilds and restarts it when a source changes. Run in
 * a copy of the sources (node_modules linked), so its compiler never writes the dist/ other suites run.
 */

const ROOT = path.resolve(__dirname, '..');
const COPIED = ['src', 'migrations', 'scripts', 'test', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

jest.setTimeout(600_000);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, output: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s:\n${output()}`);
}

describe('npm run dev', () => {
  let database: SuiteDatabase;
  let copy: string;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> | undefined;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'access-dev-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-dev-data-'));
    for (const entry of COPIED) fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    // npm, tsc-watch, the compiler and the service share one process group (started detached): stop it all.
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => child?.pid && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    await database?.drop();
    for (const directory of [copy, dataDir]) if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('serves after the first compile, and serves the edited code after a change', async () => {
    const port = await freePort();
    let output = '';
    child = spawn('npm', ['run', 'dev'], {
      cwd: copy,
      detached: true,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', PORT: String(port), DATABASE_URL: database.url, DATA_DIR: dataDir, MIGRATE_ON_START: 'false', OUTBOX_POLL_INTERVAL_MS: '0' },
    });
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    exited = new Promise((resolve) => child?.on('exit', resolve));
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    };

    expect(await waitFor('the first start', health, 420_000, () => output)).toEqual({ status: 'ok' });

    const file = path.join(copy, 'src/core/http/create-app.ts');
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toContain("response.json({ status: 'ok' })");
    fs.writeFileSync(file, source.replace("response.json({ status: 'ok' })", "response.json({ status: 'ok', edited: true })"));

    await waitFor('the restart with the edited code', async () => ((await health())?.edited === true ? true : undefined), 300_000, () => output);
    expect(output.match(/listening on http:\/\/localhost:\d+\/graphql/g)?.length).toBeGreaterThanOrEqual(2);
  });
});
