import { DEV_DEVELOPER, DEV_ISSUER, developmentSubject } from '../core/auth/dev-issuer';
import { runTransaction } from '../core/database/transaction';
import { RoleAssignmentMode } from '../memberships/membership.inputs';
import { MembershipStatus } from '../memberships/membership-status';
import { TeamMemberRole } from '../teams/team-member-role';
import { RoleEntity } from '../roles/role.entity';
import { UserEntity } from '../users/user.entity';
import { CliFailure } from './cli-errors';
import { withRuntime, type CliRuntime } from './cli-runtime';
import {
  DEMO_DEACTIVATED,
  DEMO_INVITATIONS,
  DEMO_LAST_SIGN_IN_DAYS,
  DEMO_MANAGERS,
  DEMO_NAME,
  DEMO_PENDING,
  DEMO_PEOPLE,
  DEMO_ROLES,
  DEMO_TEAMS,
  demoEmail,
  demoMembersCsv,
} from './demo-organisation';

/** Builds the demo organisation as the system actor and prints what it made. */
export async function seedDemoOrganisation(slug: string): Promise<void> {
  const summary = await withRuntime('seed-demo', (runtime) => seedDemo(runtime, slug));
  process.stdout.write(
    `created ${slug} (${summary.organisationId}): "${DEMO_NAME}", ${summary.members} members, ${DEMO_TEAMS.length} teams, ${DEMO_ROLES.length} custom roles, ` +
      `${DEMO_INVITATIONS.length} invitations, ${summary.auditEvents} audit events\n` +
      `Owner: ${DEV_DEVELOPER.email}${ownerHint(summary.signedIn)}\n`,
  );
}

function ownerHint(signedIn: boolean): string {
  return signedIn
    ? ` (GraphiQL on /graphql signs in as them; "token --email grace.hopper@northwind.example" signs in as the demo Admin)`
    : ' (placeholder users: they link at their first sign-in with a verified email)';
}

interface DemoSummary {
  organisationId: string;
  members: number;
  auditEvents: number;
  signedIn: boolean;
}

async function seedDemo(runtime: CliRuntime, slug: string): Promise<DemoSummary> {
  const { services, ctx } = runtime;
  const organisation = await services.organisations.create(ctx, { name: DEMO_NAME, slug, ownerEmail: DEV_DEVELOPER.email });
  await services.organisations.update(ctx, organisation.id, { invitationExpiryDays: 14 });
  const structure = await createRolesAndTeams(runtime, organisation.id);
  const membershipOf = await importPeople(runtime, organisation.id);
  await arrangePeople(runtime, organisation.id, structure, membershipOf);
  const signedIn = runtime.config.devIssuer;
  if (signedIn) await signInDemoPeople(runtime);
  const [{ count }] = await runtime.dataSource.query('SELECT count(*)::int AS count FROM audit_events WHERE organisation_id = $1', [organisation.id]);
  return { organisationId: organisation.id, members: DEMO_PEOPLE.length + 2, auditEvents: count, signedIn };
}

interface DemoStructure {
  roleIds: Map<string, string>;
  teamIds: Map<string, string>;
}

/** The custom roles and the teams (two of them granting roles); role ids by name, built-in ones included. */
async function createRolesAndTeams(runtime: CliRuntime, organisationId: string): Promise<DemoStructure> {
  const { services, ctx } = runtime;
  const roles = await runtime.dataSource.getRepository(RoleEntity).findBy({ organisationId });
  const roleIds = new Map(roles.map((role) => [role.name, role.id]));
  for (const role of DEMO_ROLES) roleIds.set(role.name, (await services.roles.create(ctx, { organisationId, ...role })).id);
  const teamIds = new Map<string, string>();
  for (const team of DEMO_TEAMS) {
    const created = await services.teams.create(ctx, { organisationId, name: team.name, description: team.description });
    teamIds.set(team.name, created.id);
    if (team.grants.length > 0) await services.teams.setRoles(ctx, created.id, team.grants.map((name) => roleIds.get(name) as string));
  }
  return { roleIds, teamIds };
}

/** The people, through the member import; their membership ids by local part of the email. */
async function importPeople(runtime: CliRuntime, organisationId: string): Promise<(local: string) => string> {
  const report = await runtime.services.memberImport.import(runtime.ctx, { organisationId, csv: demoMembersCsv(), dryRun: false });
  if (report.created !== DEMO_PEOPLE.length) throw new CliFailure(`the demo import did not go through: ${JSON.stringify(report.rows.filter((row) => row.errors.length))}`);
  const rows: { email: string; id: string }[] = await runtime.dataSource.query(
    'SELECT u.email, m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1',
    [organisationId],
  );
  const membershipIds = new Map(rows.map((row) => [row.email, row.id]));
  return (local) => membershipIds.get(demoEmail(local)) as string;
}

/** Team managers, an extra role, invitations (one cancelled), someone who left and someone waiting. */
async function arrangePeople(runtime: CliRuntime, organisationId: string, { roleIds, teamIds }: DemoStructure, membershipOf: (local: string) => string): Promise<void> {
  const { services, ctx } = runtime;
  for (const [local, team] of DEMO_MANAGERS) {
    await services.teamMembers.setRole(ctx, { teamId: teamIds.get(team) as string, membershipId: membershipOf(local), role: TeamMemberRole.MANAGER });
  }
  await services.roleAssignment.assign(ctx, { organisationId, membershipIds: [membershipOf('grace.hopper')], roleIds: [roleIds.get('Auditor') as string], mode: RoleAssignmentMode.ADD });
  const invitationIds: string[] = [];
  for (const [local, roles, teams] of DEMO_INVITATIONS) {
    const invited = await services.invitations.invite(ctx, { organisationId, email: demoEmail(local), roleIds: roles.map((name) => roleIds.get(name) as string), teamIds: teams.map((name) => teamIds.get(name) as string) });
    invitationIds.push(invited.invitation.id);
  }
  await services.invitations.cancel(ctx, invitationIds[invitationIds.length - 1]);
  await services.lifecycle.deactivate(ctx, membershipOf(DEMO_DEACTIVATED));
  await addPendingMember(runtime, organisationId);
}

/** Someone waiting for approval, as an auto-join domain with approval required would leave them. */
async function addPendingMember(runtime: CliRuntime, organisationId: string): Promise<void> {
  const { services, ctx } = runtime;
  await runTransaction(runtime.dataSource, async (manager) => {
    const user = await services.organisations.findOrCreatePlaceholder(manager, demoEmail(DEMO_PENDING[0]));
    await manager.update(UserEntity, { id: user.id }, { displayName: DEMO_PENDING[1] });
    await services.membershipWriter.join(manager, ctx, { organisationId, userId: user.id, builtInRole: 'member', status: MembershipStatus.PENDING_APPROVAL, via: 'demo-seed' });
  });
}

/**
 * With the development issuer: the developer and some demo people sign in through the real provisioning
 * path (as `token --email …` would), so their placeholders link, and their last sign-ins are spread over
 * the past months for the access review.
 */
async function signInDemoPeople(runtime: CliRuntime): Promise<void> {
  const people: [string, string, number][] = [[DEV_DEVELOPER.email, DEV_DEVELOPER.name, 0]];
  for (const [local, days] of Object.entries(DEMO_LAST_SIGN_IN_DAYS)) {
    const person = DEMO_PEOPLE.find(([candidate]) => candidate === local);
    if (person) people.push([demoEmail(local), person[1], days]);
  }
  for (const [email, name, days] of people) {
    const user = await runtime.services.provisioning.provision({ issuer: DEV_ISSUER, subject: developmentSubject(email), email, emailVerified: true, name, amr: ['pwd'], claims: {} });
    if (days > 0) await runtime.dataSource.query(`UPDATE users SET last_sign_in_at = now() - make_interval(days => $2) WHERE id = $1`, [user.id, days]);
  }
}
