/**
 * Audit export benchmark (not a test). Run: `npm run bench:audit-export`.
 *
 * The real service over HTTP on 127.0.0.1, an organisation with BENCH_AUDIT_EVENTS audit events (default
 * 100,000; realistic rows: actors, targets, request ids, a details object), then
 * `GET /audit/export?organisationId=…&format=ndjson` and `format=csv` read to the end: time to the first
 * byte and to the last, size, rows, and the peak V8 heap above its level before the export (sampled every
 * 10 ms; the service and the reading client share this process). `npm run bench:audit-export` runs it under
 * --max-old-space-size=128: a 100,000-event export that held its rows would not fit.
 *
 * Database: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres; a throwaway database
 * `access_bench_audit_<pid>` is created, migrated and dropped at the end (also on failure).
 */
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DevIssuer } from '../src/core/auth/dev-issuer';
import { startService } from '../src/core/bootstrap';
import { loadConfig } from '../src/core/config';
import { createBenchDatabase } from './support/bench-environment';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 100_000);

async function main(): Promise<void> {
  if (!Number.isInteger(EVENTS) || EVENTS <= 0) throw new Error('BENCH_AUDIT_EVENTS must be a positive whole number');
  const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const database = await createBenchDatabase(serverUrl, `access_bench_audit_${process.pid}`, 'access-bench-audit');
    cleanups.push(() => database.drop());
    const { dataSource } = database;
    const url = new URL(database.url);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-audit-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const issuer = await DevIssuer.open(dataDir);
    const config = loadConfig({
      NODE_ENV: 'development', PORT: '0', DATABASE_URL: url.toString(), DATA_DIR: dataDir, MIGRATE_ON_START: 'false',
      OUTBOX_POLL_INTERVAL_MS: '0', WEBHOOK_POLL_INTERVAL_MS: '0', EVENT_SWEEP_INTERVAL_MS: '0', LOG_LEVEL: 'silent',
    });
    const service = await startService(config, { dataSource });
    cleanups.push(() => service.stop());
    const base = `http://127.0.0.1:${service.port}`;
    const adminToken = await issuer.mint({ subject: 'bench-admin', email: 'bench-admin@example.com', name: 'Admin', platformAdmin: true });
    const ownerToken = await issuer.mint({ subject: 'bench-owner', email: 'bench-owner@example.com', name: 'Owner' });
    const graphql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    await graphql(ownerToken, '{ viewer { user { id } } }');
    const organisationId: string = (
      await graphql(adminToken, 'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }', { input: { name: 'Bench', slug: 'bench-audit', ownerEmail: 'bench-owner@example.com' } })
    ).createOrganisation.id;
    const seeded = performance.now();
    // Seeded outside the service's pool (its statement timeout is for requests, not for bulk loads).
    const seeder = new Client({ connectionString: url.toString() });
    await seeder.connect();
    try {
      await seeder.query(
        `INSERT INTO users (email, display_name) SELECT 'actor' || n || '@example.com', 'Actor ' || n FROM generate_series(1, 200) n`,
      );
      for (let from = 1; from <= EVENTS; from += 20_000) {
        await seeder.query(
          `WITH actors AS (SELECT array_agg(id) AS ids FROM users WHERE email LIKE 'actor%@example.com')
           INSERT INTO audit_events (organisation_id, actor_user_id, action, target_type, target_id, details, request_id, occurred_at)
           SELECT $1, actors.ids[1 + n % 200], (ARRAY['member.roles-assigned', 'team.created', 'member.signed_in', 'role.updated'])[1 + n % 4], 'Membership',
                  gen_random_uuid()::text, jsonb_build_object('mode', 'ADD', 'roleIds', jsonb_build_array(gen_random_uuid()), 'before', '[]'::jsonb, 'after', jsonb_build_array(gen_random_uuid())),
                  gen_random_uuid()::text, now() - n * interval '1 second'
           FROM actors, generate_series($2::int, $3::int) n`,
          [organisationId, from, Math.min(EVENTS, from + 19_999)],
        );
      }
      await seeder.query('ANALYZE audit_events');
    } finally {
      await seeder.end();
    }
    console.log(`seeded ${EVENTS} audit events in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

    for (const format of ['ndjson', 'csv'] as const) {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let peak = heapBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
      const started = performance.now();
      const response = await fetch(`${base}/audit/export?organisationId=${organisationId}&format=${format}`, { headers: { authorization: `Bearer ${ownerToken}` } });
      if (response.status !== 200 || !response.body) throw new Error(`export answered ${response.status}: ${await response.text()}`);
      let firstByte = 0;
      let bytes = 0;
      let lines = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (!firstByte) firstByte = performance.now() - started;
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 10) lines += 1;
      }
      const total = performance.now() - started;
      clearInterval(sampler);
      const rows = format === 'csv' ? lines - 1 : lines;
      console.log(
        `${format}: ${rows} events, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${(total / 1000).toFixed(2)} s ` +
          `(first byte ${firstByte.toFixed(0)} ms, ${Math.round(rows / (total / 1000))} events/s), peak heap +${((peak - heapBefore) / 1024 / 1024).toFixed(0)} MiB`,
      );
      // The organisation's own creation events come on top of the seeded ones.
      if (rows < EVENTS) throw new Error(`expected at least ${EVENTS} events, got ${rows}`);
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
