import type { Command } from 'commander';
import type { AppointmentOutcome } from '../memberships/owner-appointment.service';

const SAID: Record<`${AppointmentOutcome}`, (email: string, slug: string) => string> = {
  JOINED: (email, slug) => `${email} joined ${slug} as an active Owner`,
  PROMOTED: (email, slug) => `${email} is now an active Owner of ${slug}`,
  UNCHANGED: (email, slug) => `${email} was already an active Owner of ${slug}; nothing changed`,
};

/** `owners appoint`: break-glass, for an organisation whose Owners are gone or locked out. */
export function registerOwnerCommands(program: Command): void {
  const owners = program.command('owners').description('break-glass owner appointment');
  owners
    .command('appoint')
    .description('make a person an active Owner of an existing organisation (a placeholder user when the email is new); audited as a platform action')
    .requiredOption('--organisation <slug>', 'the organisation')
    .requiredOption('--email <email>', 'the person')
    .action(async (options: { organisation: string; email: string }) => {
      const { organisationBySlug, withRuntime } = await import('./cli-runtime');
      const appointment = await withRuntime('owners-appoint', async (runtime) => {
        const organisation = await organisationBySlug(runtime, options.organisation);
        // The same service as the appointOwner mutation.
        return { organisation, ...(await runtime.services.ownerAppointments.appoint(runtime.ctx, organisation.id, options.email)) };
      });
      process.stdout.write(`${SAID[appointment.outcome](options.email.trim().toLowerCase(), appointment.organisation.slug)} (membership ${appointment.membershipId})\n`);
    });
}
