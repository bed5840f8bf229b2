/**
 * Soak (not a test): the real service on a throwaway database (see support/bench-environment.ts)
 * under SOAK_CONNECTIONS virtual dashboard users for SOAK_SECONDS, each going round a realistic mix
 * of the contract's reads and writes (support/soak-plan.ts: Members pages and search, Viewer,
 * TeamDetail, Roles, Invitations, AuditLog; assignRoles, invite/cancel, deactivate/reactivate).
 * Prints the error count (must be 0), latency percentiles, throughput and the server's memory before
 * and after (after a garbage collection: run with --expose-gc, as `npm run soak` does). Exits 1 on any
 * error. Run: `npm run soak`.
 *
 * Knobs: SOAK_SECONDS (60), SOAK_CONNECTIONS (50), SOAK_MEMBERS (1000), SOAK_OTHER_MEMBERS (100).
 */
// Silent before any module of the service creates its logger (it reads LOG_LEVEL when loaded).
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { contractOperation } from '../test/support/contract';
import { Cleanups, fixed, loadAverage, machineInfo, positive, startBenchWorld } from './support/bench-environment';
import { badResponses, LoadGenerator } from './support/load-generator';
import { summary, virtualUser, type OperationStats, type SoakPlanData } from './support/soak-plan';

const OPERATIONS = ['Viewer', 'OrganisationOverview', 'Members', 'AssignRoles', 'TeamDetail', 'InviteUser', 'Invitations', 'CancelInvitation', 'Roles', 'DeactivateMember', 'AuditLog', 'ReactivateMember'];

// The plan's steps are built with functions (not autocannon's worker-file form).
type SetupRequest = (request: autocannon.Request, context: object) => autocannon.Request;
type OnResponse = Exclude<autocannon.Request['onResponse'], string | undefined>;

const mebibytes = (bytes: number) => `${fixed(bytes / 2 ** 20)} MiB`;

/** The server's memory (this thread's heap: the service's; rss: the whole process), after a collection when exposed. */
async function memory(): Promise<NodeJS.MemoryUsage> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    await sleep(100);
    collect();
  }
  return process.memoryUsage();
}

/** One round of one virtual user, request by request over fetch: every step must answer before the load starts. */
async function checkRound(baseUrl: string, data: SoakPlanData, index: number): Promise<void> {
  for (const request of virtualUser(data, index)) {
    const built = (request.setupRequest as SetupRequest)({ ...request }, {});
    const response = await fetch(`${baseUrl}${built.path}`, { method: built.method, headers: built.headers as Record<string, string>, body: built.body });
    (request.onResponse as OnResponse)(response.status, await response.text(), {}, {});
  }
  const failed = Object.entries(summary()).filter(([, stats]) => stats.failed > 0);
  if (failed.length > 0) throw new Error(`check round failed: ${failed.map(([label, stats]) => `${label}: ${stats.firstFailure}`).join('; ')}`);
}

async function main(): Promise<number> {
  const seconds = positive('SOAK_SECONDS', 60);
  const connections = Math.round(positive('SOAK_CONNECTIONS', 50));
  const members = Math.round(positive('SOAK_MEMBERS', 1000));
  const otherMembers = Math.round(positive('SOAK_OTHER_MEMBERS', 100));
  if (members < connections + 1) throw new Error(`SOAK_MEMBERS (${members}) must exceed SOAK_CONNECTIONS (${connections}): each virtual user needs a member of its own`);

  const cleanups = new Cleanups();
  const stopListening = cleanups.onSignals('soak');
  const loadBefore = loadAverage();
  try {
    console.log(`soak — ${connections} virtual dashboard users for ${seconds} s against the real service on 127.0.0.1 (autocannon in a worker thread)`);
    for (const line of machineInfo()) console.log(line);
    const world = await startBenchWorld({ databaseName: `access_soak_${process.pid}`, applicationName: 'access-soak', members, otherMembers, cleanups });
    const data: SoakPlanData = {
      organisationId: world.organisationId,
      ownerToken: world.ownerToken,
      viewerToken: world.viewerToken,
      teamId: world.seeded.teamIds[0],
      memberRoleId: world.memberRoleId,
      // The last seeded members: the Members pages read the first ones undisturbed.
      targets: world.seeded.membershipIds.slice(-(connections + 1)),
      operations: Object.fromEntries(OPERATIONS.map((name) => [name, contractOperation(name)])),
      runId: randomBytes(4).toString('hex'),
    };
    await checkRound(world.baseUrl, data, connections);
    console.log('checked: one round of the mix answers with data and no errors');

    const generator = new LoadGenerator();
    cleanups.add('stop the load generator', () => generator.stop());
    const before = await memory();
    const [{ rows: rowsBefore }] = await world.dataSource.query(`SELECT count(*)::int AS rows FROM audit_events`);
    const loopBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    const result = await generator.run({
      url: world.graphqlUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      plan: { module: require.resolve('./support/soak-plan'), data },
      connections,
      seconds,
      check: 'graphql',
    });
    const busy = performance.eventLoopUtilization(loopBefore).utilization;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const elapsed = (Date.now() - started) / 1000;
    await sleep(1000);
    const after = await memory();
    const [{ rows: rowsAfter }] = await world.dataSource.query(`SELECT count(*)::int AS rows FROM audit_events`);
    const loadAfter = loadAverage();

    const perStep = (result.plan ?? {}) as Record<string, OperationStats>;
    // autocannon's count (non-2xx, socket errors, timeouts, bad bodies) and the plan's own per-step count
    // of failed answers overlap; either above 0 fails the soak.
    const stepFailures = Object.values(perStep).reduce((sum, stats) => sum + stats.failed, 0);
    const errors = badResponses(result);
    console.log('');
    console.log(`| step | responses | failed |`);
    console.log(`|---|---:|---:|`);
    for (const [label, stats] of Object.entries(perStep)) console.log(`| ${label} | ${stats.completed} | ${stats.failed} |`);
    console.log('');
    console.log(`requests: ${result.total} in ${fixed(result.durationSeconds)} s (${fixed(elapsed)} s wall) = ${fixed(result.reqPerSecMean)} req/s; audit events written: ${rowsAfter - rowsBefore}`);
    console.log(`latency ms: p50 ${result.latency.p50}, p97.5 ${result.latency.p97_5}, p99 ${result.latency.p99}, max ${result.latency.max}, mean ${fixed(result.latency.mean)}`);
    console.log(
      `errors: ${errors}, failed steps: ${stepFailures} (non-2xx ${result.non2xx}, socket errors and timeouts ${result.errors} of which timeouts (no answer in 10 s) ${result.timeouts}, bodies with errors or without data ${result.mismatches}, status codes ${JSON.stringify(result.statusCodes)})`,
    );
    const collected = (globalThis as { gc?: unknown }).gc ? 'after a forced collection' : 'not collected first: run with --expose-gc';
    console.log(`server memory (${collected}): heap used ${mebibytes(before.heapUsed)} → ${mebibytes(after.heapUsed)}, rss ${mebibytes(before.rss)} → ${mebibytes(after.rss)} (rss includes the load generator thread)`);
    console.log(`server event loop busy during the run: ${Math.round(busy * 100)} %`);
    // CPU time is what a request costs whatever else runs on the machine (latency is not).
    console.log(`process CPU during the run: ${fixed(cpuSeconds)} s = ${fixed((cpuSeconds * 1000) / Math.max(result.total, 1))} ms per request (server and load generator threads)`);
    for (const line of machineInfo()) console.log(line);
    console.log(`load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}`);
    for (const [label, stats] of Object.entries(perStep)) if (stats.firstFailure) console.error(`FAILED ${label}: first failure ${stats.firstFailure}`);
    if (errors > 0 || stepFailures > 0) {
      console.error(`SOAK FAILED: ${errors} errors, ${stepFailures} failed steps`);
      return 1;
    }
    console.log('soak passed: 0 errors');
    return 0;
  } finally {
    await cleanups.run();
    stopListening();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  },
);
