import { In, type DataSource, type EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import { assertCanGrant } from '../access/escalation-guard';
import type { AuditRecord, AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { AppError, badInput, ErrorCode, forbidden, notFound } from '../core/errors';
import { isId } from '../core/ids';
import { recordRefusal } from '../core/observability/authz-metrics';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { lockGrantedRoles } from '../roles/role-locks';
import { RoleEntity } from '../roles/role.entity';
import { assertOwnerRemains, lockOrganisation } from './last-owner-guard';
import { RoleAssignmentMode, type AssignRolesInput } from './membership.inputs';
import { MembershipRoleEntity } from './membership-role.entity';
import { MembershipEntity } from './membership.entity';
import { runTransaction } from '../core/database/transaction';
import { insertMany } from '../core/database/bulk-insert';
import { emitEvents } from '../events/event-emitter';
import { rolesChangedEvents } from '../events/event-payloads';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import { assertNotTimeBoundOwner, grantExpiryInput, liveGrant } from '../access/grant-expiry';

/**
 * Grants direct roles (every membership × every role) in one statement with array parameters (up to
 * 500 × 100 links; a VALUES list would need 3 bind parameters a row), ending at `expiresAt` (null:
 * permanent). A link already there: 'set' gives it this end (a re-grant says what the grant now is,
 * an expired one not yet swept included); 'extend' never shortens it nor makes a permanent one
 * time-bound (an approved elevation for a role already held).
 */
export async function upsertGrants(
  manager: EntityManager,
  organisationId: string,
  membershipIds: readonly string[],
  roleIds: readonly string[],
  expiresAt: Date | null,
  onExisting: 'set' | 'extend',
): Promise<void> {
  await insertMany(
    manager,
    'membership_roles',
    [
      { name: 'membership_id', type: 'uuid', values: membershipIds.flatMap((membershipId) => roleIds.map(() => membershipId)) },
      { name: 'role_id', type: 'uuid', values: membershipIds.flatMap(() => roleIds) },
      { name: 'organisation_id', type: 'uuid', value: organisationId },
      { name: 'expires_at', type: 'timestamptz', value: expiresAt },
    ],
    {
      onConflict:
        onExisting === 'set'
          ? '(membership_id, role_id, organisation_id) DO UPDATE SET expires_at = EXCLUDED.expires_at'
          : `(membership_id, role_id, organisation_id) DO UPDATE SET expires_at = CASE
               WHEN membership_roles.expires_at IS NULL THEN NULL ELSE greatest(membership_roles.expires_at, EXCLUDED.expires_at) END`,
    },
  );
}

/** Role ids per membership, in the links' order. */
function groupRoleIds(links: readonly { membershipId: string; roleId: string }[]): Map<string, string[]> {
  const byMembership = new Map<string, string[]>();
  for (const link of links) {
    const roleIds = byMembership.get(link.membershipId);
    if (roleIds) roleIds.push(link.roleId);
    else byMembership.set(link.membershipId, [link.roleId]);
  }
  return byMembership;
}

/** One direct role to take away from one member, and on whose authority (their snapshot). */
export interface GrantRevocation {
  membershipId: string;
  roleId: string;
  authority: AccessSnapshot;
}

/**
 * Why `authority` may not take `role` away from someone (null: they may): members:assign-roles, and
 * Owner only by an Owner. The rules of `assignRoles`' REMOVE, for callers that decide per grant first.
 */
export function revocationRefusal(authority: AccessSnapshot, role: { builtInKey: string | null }): AppError | null {
  if (!authority.has('members:assign-roles')) return new AppError(ErrorCode.FORBIDDEN, 'Missing permission members:assign-roles');
  if (role.builtInKey === 'owner' && !authority.owner) return forbidden('Only an Owner may take the Owner role away');
  return null;
}

/**
 * The `member.roles-assigned` event of one member (target: the membership): the operation's mode and roles,
 * and the member's direct roles before and after, with what was added and removed.
 */
function memberRolesEvent(
  organisationId: string,
  mode: RoleAssignmentMode,
  roleIds: readonly string[],
  change: { membershipId: string; userId: string | null; before: readonly string[]; after: readonly string[] },
  extra: Record<string, unknown> = {},
): AuditRecord {
  return {
    organisationId,
    action: 'member.roles-assigned',
    targetType: 'Membership',
    targetId: change.membershipId,
    details: {
      mode,
      roleIds,
      userId: change.userId,
      before: change.before,
      after: change.after,
      added: change.after.filter((id) => !change.before.includes(id)),
      removed: change.before.filter((id) => !change.after.includes(id)),
      ...extra,
    },
  };
}

/** Bulk role assignment: ADD, REMOVE or REPLACE over many memberships in one transaction. */
export class RoleAssignmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  async assign(ctx: RequestContext, input: AssignRolesInput): Promise<MembershipEntity[]> {
    const snapshot = (await mutationPermissions.assignRoles.authorize(ctx, { input })).snapshot as AccessSnapshot;
    const organisation = (await ctx.loaders.organisationById.load(input.organisationId)) as OrganisationEntity;
    const membershipIds = [...new Set(input.membershipIds)];
    const roleIds = [...new Set(input.roleIds)];
    if (input.mode !== RoleAssignmentMode.REPLACE && roleIds.length === 0) throw badInput('roleIds must not be empty', { field: 'roleIds' });
    const memberships = await this.dataSource.getRepository(MembershipEntity).findBy({ id: In(membershipIds.filter(isId)), organisationId: organisation.id });
    const unknownMembers = membershipIds.filter((id) => !memberships.some((membership) => membership.id === id));
    if (unknownMembers.length > 0) throw badInput(`Unknown memberships: ${unknownMembers.join(', ')}`, { field: 'membershipIds', unknown: unknownMembers });
    const roles = await this.dataSource.getRepository(RoleEntity).findBy({ id: In(roleIds.filter(isId)), organisationId: organisation.id });
    const unknownRoles = roleIds.filter((id) => !roles.some((role) => role.id === id));
    if (unknownRoles.length > 0) throw badInput(`Unknown roles: ${unknownRoles.join(', ')}`, { field: 'roleIds', unknown: unknownRoles });
    const expiresAt = grantExpiryInput(input.expiresAt, 'expiresAt');
    if (expiresAt !== null && input.mode === RoleAssignmentMode.REMOVE) throw badInput('expiresAt applies to ADD and REPLACE', { field: 'expiresAt' });
    assertNotTimeBoundOwner(roles, expiresAt, 'expiresAt');
    if (input.mode !== RoleAssignmentMode.REMOVE) assertCanGrant(snapshot, roles, this.catalogue, organisation.permissionBoundary);

    await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, organisation.id);
      if (input.mode !== RoleAssignmentMode.REMOVE) await lockGrantedRoles(manager, organisation.id, roleIds, 'field');
      const current: MembershipRoleEntity[] = await manager.findBy(MembershipRoleEntity, { membershipId: In(membershipIds), organisationId: organisation.id });
      const toRemove = this.removals(input.mode, current, roleIds);
      await this.assertMayRemove(manager, snapshot, toRemove, organisation.id);
      if (toRemove.length > 0) {
        await manager.query(
          `DELETE FROM membership_roles WHERE organisation_id = $1
           AND (membership_id, role_id) IN (SELECT * FROM unnest($2::uuid[], $3::uuid[]))`,
          [organisation.id, toRemove.map((link) => link.membershipId), toRemove.map((link) => link.roleId)],
        );
      }
      if (input.mode !== RoleAssignmentMode.REMOVE && roleIds.length > 0) {
        await upsertGrants(manager, organisation.id, membershipIds, roleIds, expiresAt, 'set');
      }
      await assertOwnerRemains(manager, organisation.id);
      // Grouped once: up to 500 members × 100 roles.
      const currentBy = groupRoleIds(current);
      const userOf = new Map(memberships.map((membership) => [membership.id, membership.userId]));
      const changes = membershipIds.map((membershipId) => {
        const before = currentBy.get(membershipId) ?? [];
        const after = input.mode === RoleAssignmentMode.REPLACE ? roleIds : input.mode === RoleAssignmentMode.ADD ? [...new Set([...before, ...roleIds])] : before.filter((id) => !roleIds.includes(id));
        return { membershipId, userId: userOf.get(membershipId) ?? null, before, after };
      });
      // One event per member, its membership as the target, all in one statement.
      await this.audit.recordMany(manager, ctx, changes.map((change) => memberRolesEvent(organisation.id, input.mode, roleIds, change, expiresAt ? { expiresAt } : {})));
      emitEvents(manager, ctx, rolesChangedEvents(organisation.id, changes));
    });
    ctx.invalidateAccess();
    for (const id of membershipIds) ctx.loaders.rolesByMembershipId.clear(id);
    return membershipIds.map((id) => memberships.find((membership) => membership.id === id) as MembershipEntity);
  }

  /**
   * Grants one member one role until `expiresAt` inside the caller's transaction, which locked the
   * organisation first and checked the escalation rules (an approved elevation request): the role is
   * locked as assignRoles locks it, a grant already held is never shortened nor made time-bound
   * ('extend'), and it is audited and evented as assignRoles ADD.
   */
  async grantUntil(manager: EntityManager, ctx: RequestContext | null, organisationId: string, membershipId: string, roleId: string, expiresAt: Date, details: Record<string, unknown> = {}): Promise<void> {
    await lockGrantedRoles(manager, organisationId, [roleId], 'field');
    const [member]: { user_id: string; role_ids: string[] }[] = await manager.query(
      `SELECT m.user_id, ARRAY(SELECT l.role_id FROM membership_roles l WHERE l.membership_id = m.id AND ${liveGrant('l')}) AS role_ids
       FROM memberships m WHERE m.id = $1 AND m.organisation_id = $2`,
      [membershipId, organisationId],
    );
    if (!member) throw notFound('Membership');
    await upsertGrants(manager, organisationId, [membershipId], [roleId], expiresAt, 'extend');
    const change = { membershipId, userId: member.user_id, before: member.role_ids, after: [...new Set([...member.role_ids, roleId])] };
    await this.audit.record(manager, ctx, memberRolesEvent(organisationId, RoleAssignmentMode.ADD, [roleId], change, { expiresAt, ...details }));
    emitEvents(manager, ctx, rolesChangedEvents(organisationId, [change]));
  }

  /**
   * Takes direct roles away inside the caller's transaction, which locked the organisation first
   * (access-review revokes, one or many). Each removal is checked on its own authority
   * ({@link revocationRefusal}: the first refusal throws); links already gone are skipped; an active
   * Owner must remain (CONFLICT). Audited and evented as `assignRoles` REMOVE. A handful of statements
   * whatever the number of removals. Answers the links it removed.
   */
  async revokeGrants(manager: EntityManager, ctx: RequestContext | null, organisationId: string, revocations: readonly GrantRevocation[], details: Record<string, unknown> = {}): Promise<{ membershipId: string; roleId: string }[]> {
    if (revocations.length === 0) return [];
    const roles: { id: string; built_in_key: string | null }[] = await manager.query('SELECT id, built_in_key FROM roles WHERE organisation_id = $1 AND id = ANY($2::uuid[])', [
      organisationId,
      [...new Set(revocations.map((revocation) => revocation.roleId))],
    ]);
    for (const revocation of revocations) {
      const role = roles.find((candidate) => candidate.id === revocation.roleId);
      const refusal = role ? revocationRefusal(revocation.authority, { builtInKey: role.built_in_key }) : null;
      if (refusal) {
        recordRefusal(revocation.authority.has('members:assign-roles') ? 'role:owner' : 'members:assign-roles', ErrorCode.FORBIDDEN);
        throw refusal;
      }
    }
    const membershipIds = [...new Set(revocations.map((revocation) => revocation.membershipId))];
    const before: { membership_id: string; user_id: string; role_ids: string[] }[] = await manager.query(
      `SELECT m.id AS membership_id, m.user_id, ARRAY(SELECT l.role_id FROM membership_roles l WHERE l.membership_id = m.id) AS role_ids
       FROM memberships m WHERE m.organisation_id = $1 AND m.id = ANY($2::uuid[])`,
      [organisationId, membershipIds],
    );
    const removed: { membership_id: string; role_id: string }[] = await manager.query(
      // As a CTE: TypeORM answers a bare DELETE … RETURNING as [rows, count].
      `WITH removed AS (DELETE FROM membership_roles WHERE organisation_id = $1
         AND (membership_id, role_id) IN (SELECT * FROM unnest($2::uuid[], $3::uuid[])) RETURNING membership_id, role_id)
       SELECT * FROM removed`,
      [organisationId, revocations.map((revocation) => revocation.membershipId), revocations.map((revocation) => revocation.roleId)],
    );
    if (removed.length === 0) return [];
    await assertOwnerRemains(manager, organisationId);
    const links = removed.map((row) => ({ membershipId: row.membership_id, roleId: row.role_id }));
    const removedBy = groupRoleIds(links);
    const changes = before
      .filter((row) => removedBy.has(row.membership_id))
      .map((row) => {
        const gone = removedBy.get(row.membership_id) as string[];
        return { membershipId: row.membership_id, userId: row.user_id, before: row.role_ids, after: row.role_ids.filter((roleId) => !gone.includes(roleId)) };
      });
    await this.audit.recordMany(manager, ctx, changes.map((change) => memberRolesEvent(organisationId, RoleAssignmentMode.REMOVE, removedBy.get(change.membershipId) as string[], change, details)));
    emitEvents(manager, ctx, rolesChangedEvents(organisationId, changes));
    return links;
  }

  private removals(mode: RoleAssignmentMode, current: MembershipRoleEntity[], roleIds: string[]): MembershipRoleEntity[] {
    if (mode === RoleAssignmentMode.ADD) return [];
    if (mode === RoleAssignmentMode.REMOVE) return current.filter((link) => roleIds.includes(link.roleId));
    return current.filter((link) => !roleIds.includes(link.roleId));
  }

  /**
   * Taking Owner away from someone is for Owners only. Reads through the transaction's own connection: a
   * query on another pool connection while this transaction holds the organisation's lock deadlocks the
   * pool once every connection is a transaction waiting for that lock (found by `npm run soak`).
   */
  private async assertMayRemove(manager: EntityManager, snapshot: AccessSnapshot, removals: MembershipRoleEntity[], organisationId: string): Promise<void> {
    if (removals.length === 0 || snapshot.owner) return;
    const owner = await manager.findOneBy(RoleEntity, { organisationId, builtInKey: 'owner' });
    if (owner && removals.some((link) => link.roleId === owner.id)) {
      throw forbidden('Only an Owner may take the Owner role away');
    }
  }
}
