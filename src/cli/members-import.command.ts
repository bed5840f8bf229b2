import type { Command } from 'commander';

/**
 * `members import <file.csv>`: the API's `importMembers` (same parser, rules, grants and audit), for files
 * of any size. A file the API takes at once (MAX_CSV_ROWS rows) is one transaction, as there. A larger one
 * is checked whole first (nothing is written when any row is bad), then imported batch by batch, one
 * transaction each; should a batch be refused meanwhile, the command stops and says which batches were
 * imported (running it again is safe: rows already imported come out UNCHANGED).
 */
export function registerMemberCommands(program: Command): void {
  const members = program.command('members').description('member import');
  members
    .command('import')
    .description('import members from a CSV file (header email,name,initial_roles[,teams]) and print the per-row report')
    .argument('<file>', 'the CSV file')
    .requiredOption('--organisation <slug>', 'the organisation to import into')
    .option('--dry-run', 'report what would happen and write nothing')
    .option('--json', 'print the report as JSON')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .action(async (file: string, options: { organisation: string; dryRun?: boolean; json?: boolean; progress?: boolean }) => {
      const { importMembersFile } = await import('./members-import.action');
      await importMembersFile(file, options);
    });
}

