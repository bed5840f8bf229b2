import 'reflect-metadata';
import { resolveDatabase } from '../core/bootstrap';
import { ConfigError, loadConfig } from '../core/config';
import { createDataSource } from '../core/database/data-source';

/** `npm run migrate [-- --revert]`: applies pending migrations (or reverts the last one). */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config);
  // No statement limits: a migration may run long.
  const dataSource = createDataSource(database.url, { poolSize: 1, timeouts: null });
  try {
    await dataSource.initialize();
    if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}\n` : 'nothing to apply\n');
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migration failed: ${String(error)}`}\n`);
  process.exit(1);
});
