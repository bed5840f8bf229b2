import { liveGrant } from '../../access/grant-expiry';
import { releaseUnverifiedEmails } from '../../users/email-ownership';
import { maySeeContact, redactEmails } from '../../core/authz/contact-details';
import type { DataSource, EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../../access/access-snapshot';
import { assertCanGrant } from '../../access/escalation-guard';
import type { AuditService } from '../../audit/audit.service';
import type { RequestContext } from '../../core/context/request-context';
import { AppError, conflict, notFound } from '../../core/errors';
import type { PermissionCatalogue } from '../../core/permissions/permission-catalogue';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../../roles/role.rows';
import type { RoleEntity } from '../../roles/role.entity';
import { TeamMemberRole } from '../../teams/team-member-role';
import { MembershipStatus } from '../membership-status';
import { parseMemberCsv, type MemberCsvRow } from './member-csv.parser';
import type { ImportMembersInput } from './member-import.inputs';
import { planImport, type GrantPolicy, type ImportLookups, type ImportPlan, type ImportTeam, type KnownPerson, type RowPlan } from './member-import.plan';
import { ImportRowStatus, type ImportMembersPayload } from './member-import.type';
import { runTransaction } from '../../core/database/transaction';
import { insertMany } from '../../core/database/bulk-insert';
import { emitEvents } from '../../events/event-emitter';
import { rolesChangedEvents } from '../../events/event-payloads';
import { mutationPermissions } from '../../core/authz/mutation-permissions';

/** The organisation settings a plan depends on. */
interface ImportSettings {
  id: string;
  allowedEmailDomains: string[];
  permissionBoundary: string[] | null;
}

/**
 * CSV member import (DESIGN.md §4 "Bulk"). Statements per import are fixed, whatever the number of rows.
 *
 * - Needs members:invite (it adds people) and members:assign-roles (the file hands out roles) in the
 *   organisation; elsewhere the organisation looks missing (NOT_FOUND). Rows naming teams also need
 *   teams:manage-members. Every role a row adds, directly or through a team it places the member in,
 *   must be the caller's to grant (assertCanGrant: Owner only by Owners); refusals are row errors.
 * - A file that cannot be read as a whole (size, rows, header, syntax) is BAD_USER_INPUT. Otherwise the
 *   answer is a report: a bad row makes the whole run write nothing (good rows SKIPPED, counts 0). A
 *   dry run answers exactly what the real run would, and writes nothing.
 * - Unknown emails become placeholder users (no issuer, unverified, named from the file) that link at
 *   the first verified sign-in; known users are reused untouched. New members are ACTIVE even where the
 *   organisation requires approval (an admin chose them), and get Member when the row names no role.
 *   Existing members only gain roles and team places (MEMBER; a MANAGER stays one); their status stays.
 * - allowedEmailDomains applies to people joining, not to existing members.
 * - Audit: one `member.imported` event per created or updated membership and one `members.imported` summary
 *   (target: the organisation; rows, created, updated, skipped, users created), in the same transaction and statement;
 *   an import that changes nothing records nothing.
 */
export class MemberImportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  async import(ctx: RequestContext, input: ImportMembersInput): Promise<ImportMembersPayload> {
    const { organisation, snapshot } = await this.authorise(ctx, input.organisationId);
    // Decided now, while the caller's access is known (the import may change it, and re-reading costs a statement).
    const showsContact = (await maySeeContact(ctx, { scopes: [{ organisationId: organisation.id }] })) === true;
    const rows = parseMemberCsv(input.csv);
    if (input.dryRun) return payload(organisation.id, await this.plan(this.dataSource.manager, rows, organisation, snapshot, false), true, showsContact);
    const plan = await runTransaction(this.dataSource, async (manager) => {
      const current = await lockOrganisation(manager, organisation.id);
      await lockEmails(manager, rows);
      const decided = await this.plan(manager, rows, current, snapshot, true);
      if (!decided.failed) {
        // Accounts that only claimed an address unverified do not own it: the placeholder takes it.
        await releaseUnverifiedEmails(manager, this.audit, ctx, validEmails(rows));
        await this.write(manager, ctx, current.id, decided);
      }
      return decided;
    });
    if (!plan.failed) forget(ctx, plan);
    return payload(organisation.id, plan, false, showsContact);
  }

  /** Both permissions in the organisation; another organisation's id looks like no organisation (NOT_FOUND). */
  private async authorise(ctx: RequestContext, organisationId: string): Promise<{ organisation: ImportSettings; snapshot: AccessSnapshot }> {
    const snapshot = (await mutationPermissions.importMembers.authorize(ctx, { input: { organisationId } })).snapshot as AccessSnapshot;
    const organisation = await ctx.loaders.organisationById.load(organisationId);
    if (!organisation) throw notFound('Organisation');
    return { organisation, snapshot };
  }

  private async plan(manager: EntityManager, rows: MemberCsvRow[], organisation: ImportSettings, snapshot: AccessSnapshot, lock: boolean): Promise<ImportPlan> {
    const lookups: ImportLookups = {
      people: await findPeople(manager, organisation.id, rows),
      roles: await findRoles(manager, organisation.id, lock),
      teams: await findTeams(manager, organisation.id, rows, lock),
      allowedEmailDomains: organisation.allowedEmailDomains,
    };
    return planImport(rows, lookups, this.grantPolicy(snapshot, organisation.permissionBoundary));
  }

  /** assertCanGrant's answer per role (Owner only by Owners; nothing beyond the caller's own P(u, o)), as a message. */
  private grantPolicy(snapshot: AccessSnapshot, boundary: string[] | null): GrantPolicy {
    const answers = new Map<string, string | null>();
    const refuseRole = (role: RoleEntity): string | null => {
      if (!answers.has(role.id)) {
        try {
          assertCanGrant(snapshot, [role], this.catalogue, boundary);
          answers.set(role.id, null);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          answers.set(role.id, error.message);
        }
      }
      return answers.get(role.id) ?? null;
    };
    return { refuseRole, mayPlaceInTeams: snapshot.has('teams:manage-members') };
  }

  /** Placeholders, memberships, roles, team places and audit events: one statement each. */
  private async write(manager: EntityManager, ctx: RequestContext, organisationId: string, plan: ImportPlan): Promise<void> {
    const changed = plan.rows.filter((row) => row.status === ImportRowStatus.CREATED || row.status === ImportRowStatus.UPDATED);
    const newUsers = changed.filter((row) => row.userId === null);
    await createPlaceholders(manager, newUsers);
    await createMemberships(manager, organisationId, changed.filter((row) => row.membershipId === null));
    await addRoles(manager, organisationId, changed);
    await addTeamPlaces(manager, organisationId, changed);
    const created = new Set(newUsers);
    // An import that changes nothing records nothing (the log holds changes).
    if (changed.length === 0) return;
    // The per-member events and the import's summary, in one statement.
    await this.audit.recordMany(manager, ctx, [
      ...changed.map((row) => ({
        organisationId,
        action: 'member.imported',
        targetType: 'Membership',
        targetId: row.membershipId,
        // Ids only (the user row holds the address; audit rows cannot be erased).
        details: { line: row.line, userId: row.userId, status: row.status, userCreated: created.has(row), roleIds: row.roleIds, teamIds: row.teamIds, expiresAt: row.expiresAt },
      })),
      {
        organisationId,
        action: 'members.imported',
        targetType: 'Organisation',
        targetId: organisationId,
        details: {
          rows: plan.rows.length,
          created: plan.created,
          updated: plan.updated,
          skipped: plan.rows.length - changed.length,
          usersCreated: newUsers.length,
          // The per-member events share this one's requestId (filter the log by it).
        },
      },
    ]);
    const joined = changed.filter((row) => row.status === ImportRowStatus.CREATED);
    emitEvents(manager, ctx, [
      ...joined.map((row) => ({ organisationId, type: 'membership.created' as const, objectId: row.membershipId as string, data: { membershipId: row.membershipId, userId: row.userId, status: MembershipStatus.ACTIVE, via: 'import', roleIds: row.roleIds } })),
      ...rolesChangedEvents(organisationId, changed.filter((row) => row.status === ImportRowStatus.UPDATED).map((row) => ({ membershipId: row.membershipId as string, userId: row.userId, before: row.heldRoleIds, after: [...row.heldRoleIds, ...row.roleIds] }))),
      ...changed.flatMap((row) => row.teamIds.map((teamId) => ({ organisationId, type: 'team.member_added' as const, objectId: teamId, data: { teamId, membershipId: row.membershipId, userId: row.userId, role: TeamMemberRole.MEMBER, via: 'import' } }))),
    ]);
  }
}

/** Locks the organisation (imports into it run one at a time) and reads its settings as they are now. */
async function lockOrganisation(manager: EntityManager, organisationId: string): Promise<ImportSettings> {
  const rows: { allowed_email_domains: string[]; permission_boundary: string[] | null }[] = await manager.query(
    'SELECT allowed_email_domains, permission_boundary FROM organisations WHERE id = $1 FOR UPDATE',
    [organisationId],
  );
  if (rows.length === 0) throw notFound('Organisation');
  return { id: organisationId, allowedEmailDomains: rows[0].allowed_email_domains, permissionBoundary: rows[0].permission_boundary };
}

/**
 * The per-email lock findOrCreatePlaceholder takes, for every address at once (sorted, so two imports
 * cannot deadlock): a concurrent import or organisation creation with the same person waits, then finds them.
 */
async function lockEmails(manager: EntityManager, rows: MemberCsvRow[]): Promise<void> {
  const emails = validEmails(rows);
  if (emails.length === 0) return;
  await manager.query(
    `SELECT count(pg_advisory_xact_lock(hashtext('user-email:' || email)))
     FROM (SELECT email FROM unnest($1::text[]) AS x(email) ORDER BY email) AS sorted`,
    [emails],
  );
}

function validEmails(rows: MemberCsvRow[]): string[] {
  return [...new Set(rows.filter((row) => row.emailValid).map((row) => row.email))];
}

/**
 * Users owning these emails (case-insensitively, on the unique index) with their membership here and what
 * it holds. An account that signed in with an address unverified does not own it (see releaseUnverifiedEmails).
 */
async function findPeople(manager: EntityManager, organisationId: string, rows: MemberCsvRow[]): Promise<Map<string, KnownPerson>> {
  const emails = validEmails(rows);
  if (emails.length === 0) return new Map();
  const found: { user_id: string; email: string; membership_id: string | null; role_ids: string[]; team_ids: string[] }[] = await manager.query(
    `SELECT u.id AS user_id, lower(u.email) AS email, m.id AS membership_id,
            ARRAY(SELECT mr.role_id FROM membership_roles mr WHERE mr.membership_id = m.id AND ${liveGrant('mr')}) AS role_ids,
            ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.membership_id = m.id AND ${liveGrant('tm')}) AS team_ids
     FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.organisation_id = $1
     WHERE lower(u.email) = ANY($2::text[]) AND NOT (u.issuer IS NOT NULL AND NOT u.email_verified)`,
    [organisationId, emails],
  );
  return new Map(found.map((row) => [row.email, { userId: row.user_id, membershipId: row.membership_id, roleIds: row.role_ids, teamIds: row.team_ids }]));
}

/** Every role of the organisation (few): the named ones, Member for rows naming none, and what teams grant. */
async function findRoles(manager: EntityManager, organisationId: string, lock: boolean): Promise<RoleEntity[]> {
  // In a real run, a role cannot be deleted between this check and the commit.
  const rows: RoleRow[] = await manager.query(`SELECT ${ROLE_COLUMNS} FROM roles r WHERE r.organisation_id = $1${lock ? ' FOR KEY SHARE' : ''}`, [organisationId]);
  return rows.map(roleFromRow);
}

/** The named teams (case-insensitively) with the roles each grants. */
async function findTeams(manager: EntityManager, organisationId: string, rows: MemberCsvRow[], lock: boolean): Promise<Map<string, ImportTeam>> {
  const names = [...new Set(rows.flatMap((row) => row.teamNames.map((name) => name.toLowerCase())))];
  if (names.length === 0) return new Map();
  const found: { id: string; name: string; granted_role_ids: string[] }[] = await manager.query(
    `SELECT t.id, t.name, ARRAY(SELECT tr.role_id FROM team_roles tr WHERE tr.team_id = t.id) AS granted_role_ids
     FROM teams t WHERE t.organisation_id = $1 AND lower(t.name) = ANY($2::text[])${lock ? ' FOR KEY SHARE OF t' : ''}`,
    [organisationId, names],
  );
  return new Map(found.map((team) => [team.name.toLowerCase(), { id: team.id, name: team.name, grantedRoleIds: team.granted_role_ids }]));
}

/** Placeholder users (no issuer or subject, unverified): they become the person at their first verified sign-in. */
async function createPlaceholders(manager: EntityManager, rows: RowPlan[]): Promise<void> {
  if (rows.length === 0) return;
  const created = await insertMany<{ id: string; email: string }>(
    manager,
    'users',
    [
      { name: 'email', type: 'text', values: rows.map((row) => row.email) },
      { name: 'display_name', type: 'text', values: rows.map((row) => row.name) },
      { name: 'email_verified', type: 'boolean', value: false },
    ],
    { onConflict: '(lower(email)) WHERE email IS NOT NULL DO NOTHING', returning: 'id, email' },
  );
  // Someone signed in with one of these addresses since the plan was made (sign-in takes no email lock).
  if (created.length < rows.length) throw conflict('Some of these people were added meanwhile; run the import again');
  const ids = new Map(created.map((user) => [user.email, user.id]));
  for (const row of rows) row.userId = ids.get(row.email) as string;
}

async function createMemberships(manager: EntityManager, organisationId: string, rows: RowPlan[]): Promise<void> {
  if (rows.length === 0) return;
  const created = await insertMany<{ id: string; user_id: string }>(
    manager,
    'memberships',
    [
      { name: 'organisation_id', type: 'uuid', value: organisationId },
      { name: 'user_id', type: 'uuid', values: rows.map((row) => row.userId) },
      { name: 'status', type: 'text', value: MembershipStatus.ACTIVE },
    ],
    { onConflict: '(organisation_id, user_id) DO NOTHING', returning: 'id, user_id' },
  );
  // Joined meanwhile (an auto-join sign-in, an accepted invitation): the plan no longer holds.
  if (created.length < rows.length) throw conflict('Some of these people joined the organisation meanwhile; run the import again');
  const ids = new Map(created.map((membership) => [membership.user_id, membership.id]));
  for (const row of rows) row.membershipId = ids.get(row.userId as string) as string;
}

/**
 * Direct roles, new and existing members alike, until the row's expires_at (a role held already is
 * left as it is; one whose grant expired, not yet swept, is granted again).
 */
async function addRoles(manager: EntityManager, organisationId: string, rows: RowPlan[]): Promise<void> {
  const links = rows.flatMap((row) => row.roleIds.map((roleId) => ({ membershipId: row.membershipId as string, roleId, expiresAt: row.expiresAt })));
  await insertMany(
    manager,
    'membership_roles',
    [
      { name: 'membership_id', type: 'uuid', values: links.map((link) => link.membershipId) },
      { name: 'role_id', type: 'uuid', values: links.map((link) => link.roleId) },
      { name: 'organisation_id', type: 'uuid', value: organisationId },
      { name: 'expires_at', type: 'timestamptz', values: links.map((link) => link.expiresAt) },
    ],
    { onConflict: `(membership_id, role_id, organisation_id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE NOT ${liveGrant('membership_roles')}` },
  );
}

/** Team places as MEMBER; a place held already (perhaps as MANAGER) is left as it is. */
async function addTeamPlaces(manager: EntityManager, organisationId: string, rows: RowPlan[]): Promise<void> {
  const places = rows.flatMap((row) => row.teamIds.map((teamId) => ({ membershipId: row.membershipId as string, teamId, expiresAt: row.expiresAt })));
  await insertMany(
    manager,
    'team_members',
    [
      { name: 'team_id', type: 'uuid', values: places.map((place) => place.teamId) },
      { name: 'membership_id', type: 'uuid', values: places.map((place) => place.membershipId) },
      { name: 'organisation_id', type: 'uuid', value: organisationId },
      { name: 'role', type: 'text', value: TeamMemberRole.MEMBER },
      { name: 'expires_at', type: 'timestamptz', values: places.map((place) => place.expiresAt) },
    ],
    { onConflict: `(team_id, membership_id, organisation_id) DO UPDATE SET expires_at = EXCLUDED.expires_at, role = EXCLUDED.role, added_at = now() WHERE NOT ${liveGrant('team_members')}` },
  );
}

/** Access and loaders of this request may have changed (the caller may have imported themselves). */
function forget(ctx: RequestContext, plan: ImportPlan): void {
  ctx.invalidateAccess();
  for (const row of plan.rows) {
    if (row.membershipId) {
      ctx.loaders.rolesByMembershipId.clear(row.membershipId);
      ctx.loaders.teamPlacesByMembershipId.clear(row.membershipId);
    }
    if (row.userId) ctx.loaders.membershipsByUserId.clear(row.userId);
  }
}

/**
 * The report. Rows carry their organisation for the contact rule on `email`; row messages may quote an
 * address, so they follow the same rule.
 */
function payload(organisationId: string, plan: ImportPlan, dryRun: boolean, showsContact: boolean): ImportMembersPayload {
  const rows = plan.rows.map(({ line, email, status, errors }) => ({ organisationId, line, email, status, errors: showsContact ? errors : (redactEmails(errors) as string[]) }));
  return { dryRun, created: plan.created, updated: plan.updated, rows };
}
