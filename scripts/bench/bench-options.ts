/**
 * The knobs of `npm run bench`, read from the environment once and checked (a bad value stops the run
 * before anything starts, naming the variable).
 */
export interface BenchOptions {
  /** Members of the measured organisation (Members first 50, TeamDetail, Viewer, _entities). */
  members: number;
  /** Organisation sizes of the scaling rows (Members first page one at a time; search and 10 connections at the largest). */
  scaleMembers: number[];
  /** Noise: other organisations and their members each. */
  otherOrganisations: number;
  otherMembers: number;
  /** Measured seconds per run, unrecorded warm-up seconds before each server's first run of a scenario. */
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  /** Scenario names (as printed) to run; empty: all. */
  scenarios: string[];
  /** Servers to run; empty: all (service, service-node22, floor, postgraphile). */
  servers: string[];
  /** Where to write the report; empty: docs/benchmarks.md is left alone (the table is printed only). */
  reportFile: string | null;
  /** PostgreSQL 15 binaries (initdb, postgres, pg_ctl). */
  postgresBin: string;
  /** When set, the service (Node 20) runs with --cpu-prof and writes its profile into this folder on exit. */
  cpuProfileDir: string | null;
}

function number(name: string, fallback: number, { min = 1, integer = true } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function list(name: string): string[] {
  return (process.env[name] ?? '').split(',').map((part) => part.trim()).filter(Boolean);
}

/** Reads every BENCH_* variable (see the README's `npm run bench` section). */
export function readBenchOptions(): BenchOptions {
  const scale = list('BENCH_SCALE_MEMBERS').map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_SCALE_MEMBERS must list whole numbers ≥ 1, got "${part}"`);
    return value;
  });
  const report = process.env.BENCH_REPORT;
  return {
    members: number('BENCH_MEMBERS', 10_000),
    scaleMembers: scale.length > 0 ? [...new Set(scale)].sort((left, right) => left - right) : [1_000, 10_000, 100_000],
    otherOrganisations: number('BENCH_OTHER_ORGANISATIONS', 20, { min: 0 }),
    otherMembers: number('BENCH_OTHER_MEMBERS', 500, { min: 0 }),
    seconds: number('BENCH_SECONDS', 10, { integer: false }),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 3, { min: 0, integer: false }),
    rounds: number('BENCH_ROUNDS', 3),
    connections: number('BENCH_CONNECTIONS', 10),
    scenarios: list('BENCH_SCENARIOS'),
    servers: list('BENCH_SERVERS'),
    reportFile: report === undefined ? 'docs/benchmarks.md' : report.trim() === '' || report === '-' ? null : report,
    postgresBin: process.env.BENCH_PG_BIN || '/usr/lib/postgresql/15/bin',
    cpuProfileDir: process.env.BENCH_CPU_PROF_DIR || null,
  };
}
