import type { Command } from 'commander';

/** `users erase`: the right to erasure, as the system actor, through the same service as the eraseUser mutation. */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('erase a person');
  users
    .command('erase')
    .description("pseudonymise a person (email, name, identity, sign-in times) and remove their memberships; audit rows keep ids; refused while they are an organisation's last Owner")
    .requiredOption('--email <email>', 'the person')
    .action(async (options: { email: string }) => {
      const { CliFailure } = await import('./cli-errors');
      const { withRuntime } = await import('./cli-runtime');
      const email = options.email.trim().toLowerCase();
      const userId = await withRuntime('users-erase', async (runtime) => {
        const [user]: { id: string }[] = await runtime.dataSource.query('SELECT id FROM users WHERE lower(email) = $1', [email]);
        if (!user) throw new CliFailure(`no user has the email "${email}"`);
        await runtime.services.userErasure.erase(runtime.ctx, user.id);
        return user.id;
      });
      process.stdout.write(`erased ${userId}\n`);
    });
}
