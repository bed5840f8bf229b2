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

/**
 * Set by global setup in the Jest parent process and inherited by its workers: each run keeps its own
 * template even when another run in the same checkout rewrites TEST_ENV_FILE (or drops its template).
 */
export const TEST_ENV_VARIABLE = 'ACCESS_TEST_ENVIRONMENT';

export function readTestEnvironment(): TestEnvironment {
  const own = process.env[TEST_ENV_VARIABLE];
  return JSON.parse(own ?? fs.readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnvironment;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
