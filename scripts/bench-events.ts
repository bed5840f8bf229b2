/**
 * Domain events and webhooks benchmark (not a test). Run: `npm run bench:events`.
 *
 * 1. Event write overhead per mutation: the real service over HTTP on 127.0.0.1; each mutation is sent
 *    BENCH_MUTATIONS times and timed end to end, with no webhook endpoint subscribed and then with
 *    BENCH_SUBSCRIBERS endpoints subscribed to every type. Statements per mutation are counted, and the
 *    event write itself (one INSERT … of every event of the transaction, with its webhook fan-out) is
 *    timed alone, inside a transaction, with the same payloads.
 * 2. Delivery throughput of one worker: BENCH_DELIVERIES events queued for one endpoint (strictly in
 *    order, one request at a time), then for BENCH_ENDPOINTS endpoints (sent concurrently), to a
 *    receiver on 127.0.0.1 in a worker thread answering 204; events/s from the first claim to the
 *    last acknowledgement, signatures included.
 *
 * Database: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres; a throwaway database
 * `access_bench_events_<pid>` is created, migrated and dropped at the end (also on failure).
 */
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AuditService } from '../src/audit/audit.service';
import { DevIssuer } from '../src/core/auth/dev-issuer';
import { startService } from '../src/core/bootstrap';
import { loadConfig } from '../src/core/config';
import { createBenchDatabase } from './support/bench-environment';
import { queryCounter } from '../src/core/database/query-counter';
import { runTransaction } from '../src/core/database/transaction';
import { emitEvents } from '../src/events/event-emitter';
import { INSERT_EVENTS } from '../src/events/event.queries';
import { SecretSealer } from '../src/webhooks/webhook-secret';
import { WebhookWorker } from '../src/webhooks/webhook-worker';
import { contractOperation } from '../test/support/contract';

const positive = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number`);
  return value;
};

const RECEIVER = `
  const http = require('node:http');
  const { parentPort } = require('node:worker_threads');
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => { response.writeHead(204); response.end(); parentPort.postMessage('hit'); });
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

async function startReceiver(): Promise<{ url: string; hits: () => number; stop(): Promise<number> }> {
  const worker = new Worker(RECEIVER, { eval: true });
  let hits = 0;
  const port = await new Promise<number>((resolve) =>
    worker.on('message', (message) => {
      if (message === 'hit') hits += 1;
      else resolve(message.port);
    }),
  );
  return { url: `http://127.0.0.1:${port}/hooks`, hits: () => hits, stop: () => worker.terminate() };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
const ms = (value: number) => `${value.toFixed(2)} ms`;

async function main(): Promise<void> {
  const repetitions = positive('BENCH_MUTATIONS', 200);
  const subscribers = positive('BENCH_SUBSCRIBERS', 5);
  const deliveries = positive('BENCH_DELIVERIES', 2000);
  const endpoints = positive('BENCH_ENDPOINTS', 10);
  const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const database = await createBenchDatabase(serverUrl, `access_bench_events_${process.pid}`, 'access-bench-events');
    cleanups.push(() => database.drop());
    const { dataSource } = database;
    const url = new URL(database.url);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-events-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const issuer = await DevIssuer.open(dataDir);
    const config = loadConfig({
      NODE_ENV: 'development',
      PORT: '0',
      DATABASE_URL: url.toString(),
      DATA_DIR: dataDir,
      MIGRATE_ON_START: 'false',
      OUTBOX_POLL_INTERVAL_MS: '0',
      WEBHOOK_POLL_INTERVAL_MS: '0',
      EVENT_SWEEP_INTERVAL_MS: '0',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'silent',
    });
    const service = await startService(config, { dataSource });
    cleanups.push(() => service.stop());
    const graphqlUrl = `http://127.0.0.1:${service.port}/graphql`;
    const send = async (token: string, query: string, variables: Record<string, unknown>, requestId: string = randomUUID()) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const adminToken = await issuer.mint({ subject: 'bench-admin', email: 'bench-admin@example.com', name: 'Admin', platformAdmin: true });
    const ownerToken = await issuer.mint({ subject: 'bench-owner', email: 'bench-owner@example.com', name: 'Owner' });
    await send(ownerToken, '{ viewer { user { id } } }', {});
    const organisationId: string = (await send(adminToken, contractOperation('CreateOrganisation'), { input: { name: 'Bench', slug: 'bench-events', ownerEmail: 'bench-owner@example.com' } })).createOrganisation.id;
    const membershipIds: string[] = (
      await dataSource.query(
        `WITH u AS (INSERT INTO users (email, display_name) SELECT 'member' || n || '@example.com', 'Member ' || n FROM generate_series(1, 50) n RETURNING id)
         INSERT INTO memberships (organisation_id, user_id, status) SELECT $1, id, 'ACTIVE' FROM u RETURNING id`,
        [organisationId],
      )
    ).map((row: { id: string }) => row.id);
    const [{ id: viewerRole }] = await dataSource.query(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = 'viewer'`, [organisationId]);

    // Mutations, each one run repeatedly (a pair that undoes itself, so every run changes something).
    let teamCounter = 0;
    const mutations: { name: string; events: number; run(requestId: string): Promise<unknown> }[] = [
      { name: 'createTeam', events: 1, run: (requestId) => send(ownerToken, contractOperation('CreateTeam'), { input: { organisationId, name: `Team ${(teamCounter += 1)}-${randomUUID().slice(0, 4)}` } }, requestId) },
      {
        name: 'assignRoles ×50: ADD + REMOVE (2 requests)',
        events: 50,
        run: async (requestId) => {
          await send(ownerToken, contractOperation('AssignRoles'), { input: { organisationId, membershipIds, roleIds: [viewerRole], mode: 'ADD' } }, requestId);
          await send(ownerToken, contractOperation('AssignRoles'), { input: { organisationId, membershipIds, roleIds: [viewerRole], mode: 'REMOVE' } });
        },
      },
    ];
    const measure = async (label: string) => {
      console.log(`\n${label}`);
      for (const mutation of mutations) {
        const latencies: number[] = [];
        let statements = 0;
        for (let index = 0; index < repetitions + 10; index += 1) {
          const requestId = randomUUID();
          const started = performance.now();
          const { count } = await queryCounter.measureRequest(requestId, () => mutation.run(requestId));
          if (index >= 10) latencies.push(performance.now() - started); // 10 warm-up runs
          statements = count;
        }
        console.log(`  ${mutation.name.padEnd(36)} ${mutation.events} event(s)  mean ${ms(mean(latencies))}  p50 ${ms(percentile(latencies, 50))}  p99 ${ms(percentile(latencies, 99))}  statements ${statements} (of the first request; 1 of them the event write)`);
      }
    };
    await measure('Mutation latency over HTTP, no webhook endpoint subscribed');
    const receiver = await startReceiver();
    cleanups.push(() => receiver.stop());
    for (let index = 0; index < subscribers; index += 1) {
      await send(ownerToken, 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }', { input: { organisationId, url: `${receiver.url}/${index}` } });
    }
    await measure(`Mutation latency over HTTP, ${subscribers} webhook endpoints subscribed (a delivery queued per endpoint and event)`);

    // The event write alone: the statement, with the payloads of one createTeam and of one assignRoles ×50.
    console.log('\nThe event write statement alone (in a transaction, rolled back), mean of 200:');
    for (const count of [1, 50]) {
      const payload = JSON.stringify(
        Array.from({ length: count }, () => ({ organisationId, type: 'membership.roles_changed', subject: `memberships/${randomUUID()}`, data: { organisationId, membershipId: randomUUID(), before: { roleIds: [] }, after: { roleIds: [viewerRole] }, actor: null, requestId: randomUUID() } })),
      );
      const times: number[] = [];
      for (let index = 0; index < 220; index += 1) {
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        const started = performance.now();
        await runner.query(INSERT_EVENTS, [payload]);
        if (index >= 20) times.push(performance.now() - started);
        await runner.rollbackTransaction();
        await runner.release();
      }
      console.log(`  ${String(count).padStart(2)} event(s), ${subscribers} subscribers: ${ms(mean(times))} (p99 ${ms(percentile(times, 99))})`);
    }

    // Delivery throughput of one worker.
    await dataSource.query('UPDATE webhook_endpoints SET enabled = false');
    await dataSource.query('DELETE FROM webhook_deliveries');
    const worker = new WebhookWorker(dataSource, new AuditService(), { pollIntervalMs: 0, policy: { allowPrivateNetworks: true, requireHttps: false }, sealer: new SecretSealer(undefined) });
    const deliver = async (label: string, endpointCount: number) => {
      await dataSource.query('UPDATE webhook_endpoints SET enabled = false');
      for (let index = 0; index < endpointCount; index += 1) {
        await send(ownerToken, 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }', { input: { organisationId, url: `${receiver.url}/${label}/${index}`, eventTypes: ['team.updated'] } });
      }
      const perEndpoint = Math.ceil(deliveries / endpointCount);
      await runTransaction(dataSource, async (manager) => {
        emitEvents(manager, null, Array.from({ length: perEndpoint }, (_unused, index) => ({ organisationId, type: 'team.updated' as const, objectId: randomUUID(), data: { index } })));
      });
      const before = receiver.hits();
      const started = performance.now();
      const result = await worker.runOnce();
      const seconds = (performance.now() - started) / 1000;
      const sent = receiver.hits() - before;
      console.log(`  ${label.padEnd(44)} ${result.sent} sent (${sent} received), ${seconds.toFixed(2)} s → ${(result.sent / seconds).toFixed(0)} events/s`);
    };
    console.log(`\nDelivery throughput of one worker to a receiver on 127.0.0.1 (signed, 204 answers):`);
    await deliver('one endpoint (in order, one at a time)', 1);
    await deliver(`${endpoints} endpoints (concurrently)`, endpoints);
    await worker.stop();
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => console.error(`cleanup failed: ${error.message}`));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
