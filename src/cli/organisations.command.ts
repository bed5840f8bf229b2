import type { Command } from 'commander';

const PAGE = 100;

/**
 * `organisations create|list|suspend|reactivate|delete`: what a platform administrator does through the API,
 * as the system actor, through the same services as the mutations.
 */
export function registerOrganisationCommands(program: Command): void {
  const organisations = program.command('organisations').description('create, list, suspend, reactivate and delete organisations');

  organisations
    .command('create')
    .description('create an organisation with its built-in roles and first Owner (a placeholder user when the email is new)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'lowercase letters, digits and single hyphens')
    .requiredOption('--owner-email <email>', 'the first Owner')
    .option('--json', 'print the organisation as JSON')
    .action(async (options: { name: string; slug: string; ownerEmail: string; json?: boolean }) => {
      // Loaded when a command runs, so that --help and `token` start fast (here and in every command).
      const [{ CreateOrganisationInput }, { validatedInput }, { withRuntime }] = await Promise.all([import('../organisations/organisation.inputs'), import('./cli-input'), import('./cli-runtime')]);
      const input = await validatedInput(CreateOrganisationInput, { name: options.name, slug: options.slug, ownerEmail: options.ownerEmail });
      const organisation = await withRuntime('organisations-create', ({ services, ctx }) => services.organisations.create(ctx, input));
      const summary = { id: organisation.id, slug: organisation.slug, name: organisation.name, ownerEmail: input.ownerEmail.trim().toLowerCase() };
      process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `created ${summary.slug} (${summary.id}), owner ${summary.ownerEmail}\n`);
    });

  organisations
    .command('list')
    .description('list every organisation, oldest first')
    .option('--json', 'print JSON lines, one organisation each')
    .action(async (options: { json?: boolean }) => {
      const { withRuntime } = await import('./cli-runtime');
      await withRuntime('organisations-list', async ({ services, ctx }) => {
        let after: string | null = null;
        let count = 0;
        do {
          const page = await services.organisations.list(ctx, { first: PAGE, after });
          for (const { node } of page.edges) {
            const row = { id: node.id, slug: node.slug, name: node.name, createdAt: node.createdAt.toISOString() };
            process.stdout.write(options.json ? `${JSON.stringify(row)}\n` : `${row.slug}\t${row.name}\t${row.id}\t${row.createdAt}\n`);
            count += 1;
          }
          after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        } while (after);
        if (!options.json) process.stderr.write(`${count} organisation${count === 1 ? '' : 's'}\n`);
      });
    });

  const transitions = [
    ['suspend', 'suspend an organisation: its members are refused (FORBIDDEN, ORGANISATION_SUSPENDED) until it is reactivated'],
    ['reactivate', 'reactivate a suspended organisation, or a deleted one before it is purged'],
    ['delete', 'delete an organisation softly: its members are refused at once, its contents purged ORGANISATION_PURGE_DAYS later'],
  ] as const;
  for (const [kind, description] of transitions) {
    organisations
      .command(kind)
      .description(description)
      .requiredOption('--organisation <slug>', 'the organisation')
      .action(async (options: { organisation: string }) => {
        const { organisationBySlug, withRuntime } = await import('./cli-runtime');
        const organisation = await withRuntime(`organisations-${kind}`, async (runtime) => {
          const found = await organisationBySlug(runtime, options.organisation);
          return runtime.services.organisationLifecycle[kind](runtime.ctx, found.id);
        });
        process.stdout.write(`${organisation.slug} is ${organisation.status}\n`);
      });
  }
}
