import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../../src/core/database/data-source';
import { startEmbeddedPostgres } from '../../src/core/database/embedded-postgres';
import { databaseUrl, TEST_ENV_FILE, TEST_ENV_VARIABLE, type TestEnvironment } from './test-environment';

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a PostgreSQL (DATABASE_URL, else the machine's on 127.0.0.1:5432, else an embedded one under
 * .data/test-postgres) and builds a template database with every migration applied; suites copy it.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL ?? MACHINE_POSTGRES;
  if (!(await reachable(adminUrl))) {
    if (process.env.DATABASE_URL) throw new Error(`DATABASE_URL ${process.env.DATABASE_URL} is unreachable`);
    const embedded = await startEmbeddedPostgres(path.resolve(__dirname, '../../.data/test-postgres'), 54339);
    adminUrl = databaseUrl(embedded.url, 'postgres');
    (globalThis as Record<string, unknown>).__embeddedTestPostgres = embedded;
  }
  const templateDatabase = `access_test_template_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase}`);
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
  const dataSource = createDataSource(databaseUrl(adminUrl, templateDatabase), { poolSize: 1 });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  const environment: TestEnvironment = { adminUrl, templateDatabase };
  fs.mkdirSync(path.dirname(TEST_ENV_FILE), { recursive: true });
  fs.writeFileSync(TEST_ENV_FILE, JSON.stringify(environment));
  process.env[TEST_ENV_VARIABLE] = JSON.stringify(environment);
}
