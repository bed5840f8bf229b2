import type { Client } from 'pg';
import { runLoad } from './load';
import { listStatements, postgresCpuMs, readStatements, resetStatements, roleBusy } from './postgres-stats';
import type { Scenario, ServerName } from './scenarios';
import type { ServerProcess } from './server-process';

/** One measured run of one scenario on one server. */
export interface Measurement {
  scenario: string;
  server: ServerName;
  round: number;
  reqPerSec: number;
  completed: number;
  p50: number;
  p99: number;
  bad: number;
  /** Per completed request (NaN when none completed). */
  cpuMs: number;
  pgExecMs: number;
  pgCpuMs: number;
  statements: number;
  transactionControl: number;
  sharedBlocks: number;
  /** When the load ran, in µs of the monotonic clock (the time base of V8's CPU profiles). */
  window: { startMicros: number; endMicros: number };
}

export interface MeasuredServer extends ServerProcess {
  name: ServerName;
  /** The PostgreSQL role it connects as: pg_stat_statements keeps each server's statements apart. */
  role: string;
}

/**
 * Waits until the server and its PostgreSQL sessions are idle: requests abandoned when a run ends (at 10
 * connections on a slow page) keep both busy for a while, and that work must not fall into the next run.
 */
async function settle(server: MeasuredServer, admin: Client): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const before = server.cpuMs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busyCpu = server.cpuMs() - before > 20;
    if ((!busyCpu && !(await roleBusy(admin, server.role))) || Date.now() > deadline) return;
  }
}

/** Unrecorded load, to warm the JIT, the pools and PostgreSQL's caches. */
export async function warmUp(server: MeasuredServer, scenario: Scenario, seconds: number, admin: Client): Promise<void> {
  if (seconds <= 0) return;
  await runLoad(server.baseUrl, scenario.request(server.name), scenario.connections, seconds);
  await settle(server, admin);
}

/** One run: statement figures reset, CPU of the server and of PostgreSQL read around the load. */
export async function measure(server: MeasuredServer, scenario: Scenario, round: number, seconds: number, admin: Client, postmasterPid: number): Promise<Measurement> {
  await settle(server, admin);
  await resetStatements(admin);
  const cpuBefore = server.cpuMs();
  const pgCpuBefore = postgresCpuMs(postmasterPid);
  const startMicros = Number(process.hrtime.bigint() / 1000n);
  const result = await runLoad(server.baseUrl, scenario.request(server.name), scenario.connections, seconds);
  const endMicros = Number(process.hrtime.bigint() / 1000n);
  const cpu = server.cpuMs() - cpuBefore;
  const pgCpu = postgresCpuMs(postmasterPid) - pgCpuBefore;
  const statements = await readStatements(admin, server.role);
  const per = (value: number) => (result.completed > 0 ? value / result.completed : NaN);
  return {
    scenario: scenario.name,
    server: server.name,
    round,
    reqPerSec: result.reqPerSec,
    completed: result.completed,
    p50: result.p50,
    p99: result.p99,
    bad: result.bad,
    cpuMs: per(cpu),
    pgExecMs: per(statements.execMs),
    pgCpuMs: per(pgCpu),
    statements: per(statements.calls),
    transactionControl: per(statements.transactionControl),
    sharedBlocks: per(statements.sharedBlocks),
    window: { startMicros, endMicros },
  };
}

/** The statements one request of the scenario makes on the server, as pg_stat_statements saw them. */
export async function statementsOfOneRequest(server: MeasuredServer, scenario: Scenario, admin: Client): Promise<string[]> {
  await settle(server, admin);
  await resetStatements(admin);
  const request = scenario.request(server.name);
  const response = await fetch(new URL(request.path, server.baseUrl), { method: 'POST', headers: request.headers, body: request.body });
  await response.text();
  return (await listStatements(admin, server.role)).map((row) => `${String(row.calls).padStart(3)} × ${row.execMs.toFixed(2).padStart(8)} ms  ${row.query}`);
}
