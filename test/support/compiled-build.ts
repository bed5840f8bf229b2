import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const LOCK = path.join(ROOT, '.data', 'compiled-build.lock');
const run = promisify(execFile);

async function lock(): Promise<() => void> {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      return () => fs.rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // Another suite builds; a lock older than 10 minutes was left by a killed run.
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${LOCK}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * The compiled build (what operators run), made by one suite at a time: two compilers writing dist/ at
 * once could hand a child process a half-written file. tsc is incremental, so a second build is quick; type
 * errors elsewhere in the tree do not stop it from emitting, so only missing output is fatal (`expected`).
 */
export async function buildCompiled(expected: string[]): Promise<void> {
  const release = await lock();
  try {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    process.stderr.write(`tsc -p tsconfig.build.json reported problems:\n${(error as { stdout?: string }).stdout ?? String(error)}\n`);
  } finally {
    release();
  }
  for (const file of expected) if (!fs.existsSync(path.resolve(ROOT, file))) throw new Error(`${file} was not built`);
}
