import { Client } from 'pg';
import { readTestEnvironment } from './test-environment';

/** Drops the template and every suite database left behind, and stops an embedded server. */
export default async function globalTeardown(): Promise<void> {
  const { adminUrl, templateDatabase } = readTestEnvironment();
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2",
      [templateDatabase, `${templateDatabase}_suite_%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const embedded = (globalThis as Record<string, unknown>).__embeddedTestPostgres as { stop(): Promise<void> } | undefined;
  await embedded?.stop();
}
