import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/core/database/data-source';
import { databaseUrl, readTestEnvironment } from './test-environment';

export interface SuiteDatabase {
  url: string;
  name: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: readTestEnvironment().adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own for one suite, copied from the migrated template (fast, isolated, parallel-safe). */
export async function createSuiteDatabase(options: { migrated?: boolean } = {}): Promise<SuiteDatabase> {
  const { adminUrl, templateDatabase } = readTestEnvironment();
  const name = `${templateDatabase}_suite_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(options.migrated === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`));
  const url = databaseUrl(adminUrl, name);
  // Generous limits: suites load bulk data through this pool (100,000 members) on a machine shared by many
  // runs. The production limits are tested with a pool of their own (test/faults.test.ts).
  const dataSource = createDataSource(url, { poolSize: 10, timeouts: { statementTimeoutMs: 120_000, lockTimeoutMs: 60_000, idleInTransactionTimeoutMs: 120_000, queryTimeoutMs: 150_000, connectTimeoutMs: 30_000 } });
  await dataSource.initialize();
  return {
    url,
    name,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
