#!/usr/bin/env node
'use strict';
/**
 * The admin CLI (`npm run cli -- <command>`, or `access-admin <command>` once linked) without a TypeScript
 * build per call: it runs the compiled dist/src/cli/cli.js, and builds first (tsc, once) only when a source
 * is newer than the last build this launcher made. An installation without sources runs what it has.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'dist', 'src', 'cli', 'cli.js');
const STAMP = path.join(ROOT, 'dist', '.cli-build-stamp');
const SOURCES = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** The newest modification time under `file` (tests are not part of the build). */
function newest(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return file.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  return fs.readdirSync(file).reduce((latest, entry) => Math.max(latest, newest(path.join(file, entry))), stat.mtimeMs);
}

function stale() {
  if (!fs.existsSync(path.join(ROOT, 'src'))) return false;
  if (!fs.existsSync(ENTRY)) return true;
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  return SOURCES.some((source) => newest(path.join(ROOT, source)) > built);
}

if (stale()) {
  const started = new Date();
  process.stderr.write('access-admin: sources changed since the last build; building (tsc -p tsconfig.build.json)…\n');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  // The compiler's output goes to stderr: stdout is the command's (e.g. a token captured by $(…)).
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write('access-admin: the build failed (above); fix it, or run the last build with node dist/src/cli/cli.js\n');
    process.exit(1);
  }
  // Stamped with the time the build started: a file saved during the build makes the next call build again.
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
}

require(ENTRY);
