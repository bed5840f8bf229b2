import fs from 'node:fs';
import path from 'node:path';

/** Where global setup tells the suites which PostgreSQL to use. */
export const TEST_ENV_FILE = path.resolve(__dirname, '../../.data/test-environment.json');

export interface TestEnvironment {
  /** A URL to a maintenance database (CREATE/DROP DATABASE). */
  adminUrl: string;
  /** The database holding the migrated schema every suite copies. */
  templateDatabase: string;
}

export function readTestEnvironment(): TestEnvironment {
  return JSON.parse(fs.readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnvironment;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
