import fs from 'node:fs';
import path from 'node:path';

/**
 * Behind PgBouncer in transaction pooling mode each transaction (each statement outside one) may run on
 * another server connection, so nothing may rely on session state (README "Connection pooler"). The
 * scale-out suite runs the service through a real PgBouncer; this guards the sources against the ways
 * session state creeps in, naming the file and the line.
 */

const ROOT = path.resolve(__dirname, '..');

function sources(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const FORBIDDEN: [string, RegExp][] = [
  ['session-level advisory locks (use pg_advisory_xact_lock)', /pg_(try_)?advisory_lock(_shared)?\s*\(/i],
  // SQL is written in capitals here; prose ("set DATABASE_URL to …") is not SQL.
  ['session settings (use set_config(…, true) inside the transaction)', /[`'"]\s*SET\s+(SESSION\s+)?[a-z_.]+\s+(TO|=)/],
  ['session-wide set_config (third argument false)', /set_config\([^)]*,\s*false\s*\)/i],
  ['named prepared statements (node-postgres `name`, or PREPARE)', /\.query\(\s*\{\s*name\s*:|[`'"]\s*PREPARE\s+\w+/],
  ['temporary tables (they live with the session)', /CREATE\s+(TEMP|TEMPORARY)\s+TABLE/i],
  ['cursors kept across transactions', /WITH\s+HOLD/i],
];

// LISTEN is session state by nature: only the listener's own direct connection (DATABASE_LISTEN_URL) may.
const LISTEN = /[`'"]\s*LISTEN\s/i;
const LISTENER = path.join('src', 'core', 'database', 'notification-listener.ts');

describe('pooler safety: no session state in the service (PgBouncer transaction pooling)', () => {
  const files = [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'migrations'))];

  it.each(FORBIDDEN)('uses no %s', (_what, pattern) => {
    const found = files.flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (pattern.test(line) ? [`${path.relative(ROOT, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('LISTENs only on the listener connection', () => {
    const listening = files.map((file) => path.relative(ROOT, file)).filter((file) => file !== LISTENER && LISTEN.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(listening).toEqual([]);
    expect(fs.readFileSync(path.join(ROOT, LISTENER), 'utf8')).toContain('`LISTEN ${channel}`');
  });
});
