import type { Command } from 'commander';

/** `migrate [--revert]`: applies pending migrations (or reverts the last one), each in its own transaction. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations (the service does it at start unless MIGRATE_ON_START=false)')
    .option('--revert', 'revert the last applied migration instead')
    .action(async (options: { revert?: boolean }) => {
      const [{ loadConfig }, { withDatabase }] = await Promise.all([import('../core/config'), import('./cli-runtime')]);
      await withDatabase(loadConfig(), async (dataSource) => {
        if (options.revert) {
          await dataSource.undoLastMigration({ transaction: 'each' });
          process.stdout.write('reverted the last migration\n');
        } else {
          const applied = await dataSource.runMigrations({ transaction: 'each' });
          process.stdout.write(applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}\n` : 'nothing to apply\n');
        }
      }, { migrating: true });
    });
}
