import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleOf } from '../scripts/bench/cpu-profile-summary';
import type { Measurement } from '../scripts/bench/measure';
import { renderReport, writeReport, type RunFacts } from '../scripts/bench/report';
import type { Scenario } from '../scripts/bench/scenarios';

// The pure parts of `npm run bench` (the bench itself is not a test: it needs minutes and its own PostgreSQL).

const scenario = { name: 'Members', what: 'first 50', connections: 10, servers: ['service', 'floor', 'postgraphile'] } as unknown as Scenario;

function run(server: Measurement['server'], round: number, reqPerSec: number, cpuMs: number): Measurement {
  return { scenario: 'Members', server, round, reqPerSec, completed: reqPerSec * 10, p50: 10, p99: 20, bad: 0, cpuMs, pgExecMs: 2, pgCpuMs: 1, statements: 6, transactionControl: 0, sharedBlocks: 300, window: { startMicros: 0, endMicros: 1 } };
}

const facts: RunFacts = {
  date: '2026-01-01',
  commit: 'abc1234',
  machine: ['2 CPUs'],
  runtimes: { service: 'v20', 'service-node22': 'v22', floor: 'v20', postgraphile: 'v22' },
  versions: 'PostgreSQL 15',
  options: '2 rounds',
  data: 'data',
  loadStart: '1.00 1.00 1.00',
  loadEnd: '2.00 2.00 2.00',
  rssMiB: new Map([['service', 200]]),
  servers: [{ name: 'service', what: 'the service' }],
  explained: [],
};

describe('npm run bench report', () => {
  const measurements = [run('service', 1, 50, 20), run('floor', 1, 200, 2), run('postgraphile', 1, 100, 5), run('service', 2, 40, 25), run('floor', 2, 100, 2.5), run('postgraphile', 2, 80, 5)];

  it('gives each round its own ratio to the floor and to PostGraphile', () => {
    const section = renderReport(facts, [scenario], measurements);
    expect(section).toContain('| `Members` | service | 0.25 / 0.40 | 0.50 / 0.50 | 10.00 / 10.00 | 1.00 / 1.00 |');
    expect(section).toContain('| `Members` (10 conns) | service | 50.0 / 40.0 |');
  });

  it('rewrites only its own section of the report file, keeping every other section', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-')), 'benchmarks.md');
    fs.writeFileSync(file, '# Benchmarks\n\n## Older section\n\nkept\n');
    writeReport(file, renderReport(facts, [scenario], measurements));
    writeReport(file, renderReport({ ...facts, commit: 'def5678' }, [scenario], measurements));
    const text = fs.readFileSync(file, 'utf8');
    expect(text.match(/### Latest run/g)).toHaveLength(1);
    expect(text).toContain('commit def5678');
    expect(text).toContain('## Older section\n\nkept\n');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('charges profile samples to npm packages, project folders, Node internals and V8', () => {
    expect(moduleOf('file:///w/node_modules/graphql/execution/execute.js', 'executeField')).toBe('graphql');
    expect(moduleOf('file:///w/node_modules/@apollo/server/dist/cjs/index.js', 'x')).toBe('@apollo/server');
    expect(moduleOf('file:///w/dist/src/memberships/member-directory.service.js', 'list')).toBe('src/memberships');
    expect(moduleOf('node:internal/streams/writable', 'write')).toBe('node (internals)');
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(moduleOf('', 'stringify')).toBe('(V8 builtins and native code)');
  });
});
