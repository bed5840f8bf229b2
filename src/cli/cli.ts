#!/usr/bin/env node
import 'reflect-metadata';
import './cli-environment';
import { runCli } from './cli-program';

/** Resolves once everything written before is handed to the system (a pipe may lag behind; exit would cut it). */
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

/** `npm run cli -- <command>` / the `access-admin` bin: the admin CLI. */
void runCli(process.argv.slice(2)).then(async (code) => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
