import type { Command } from 'commander';
import { UsageError } from './cli-errors';
import { DEMO_NAME } from './demo-organisation';

/** `seed --demo`: a realistic organisation for trying the dashboards, built through the services (so audited). */
export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description(`create demo data: --demo builds "${DEMO_NAME}", owned by the IDE's development user`)
    .option('--demo', 'the demo organisation: members with roles and teams, team managers, invitations, an audit history')
    .option('--slug <slug>', 'slug of the demo organisation', 'demo')
    .action(async (options: { demo?: boolean; slug: string }) => {
      if (!options.demo) throw new UsageError('say what to seed: --demo');
      const { seedDemoOrganisation } = await import('./seed-demo.action');
      await seedDemoOrganisation(options.slug);
    });
}
