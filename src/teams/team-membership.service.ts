import type { DataSource, EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import { assertCanGrant } from '../access/escalation-guard';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { AppError, badInput, conflict, ErrorCode, forbidden } from '../core/errors';
import { isId } from '../core/ids';
import { recordRefusal } from '../core/observability/authz-metrics';
import { TEAM_MANAGER_PERMISSIONS } from '../core/permissions/built-in-permissions';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { assertOwnerRemains, lockOrganisation } from '../memberships/last-owner-guard';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { assertMayTakeOwner, grantedRoles, reloadTeam, requireTeam } from './team-access';
import { TeamMemberRole } from './team-member-role';
import type { TeamMemberEntity } from './team-member.entity';
import type { TeamMemberInput } from './team.inputs';
import { teamPlaceFromRow } from './team.rows';
import type { TeamEntity } from './team.entity';
import { runTransaction } from '../core/database/transaction';
import { emitEvent, emitEvents } from '../events/event-emitter';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import { assertNotTimeBoundOwner, grantExpiryInput, liveGrant } from '../access/grant-expiry';

const PLACE_COLUMNS = 'team_id, membership_id, organisation_id, role, added_at, expires_at';

/** One team place to remove, and on whose authority (their snapshot). */
export interface PlaceRemoval {
  teamId: string;
  membershipId: string;
  authority: AccessSnapshot;
}

/**
 * Why `authority` may not remove someone's place in the team (null: they may): teams:manage-members
 * for the team (organisation-wide or as its MANAGER), and only an Owner when the team grants Owner.
 * The rules of `removeTeamMember`, for callers that decide per place first.
 */
export function placeRemovalRefusal(authority: AccessSnapshot, teamId: string, teamGrantsOwner: boolean): AppError | null {
  if (!authority.hasInTeam(teamId, 'teams:manage-members')) return new AppError(ErrorCode.FORBIDDEN, 'Missing permission teams:manage-members');
  if (teamGrantsOwner && !authority.owner) return forbidden('Only an Owner may remove a member from a team that grants the Owner role');
  return null;
}

/**
 * Team places: adding, moving (MANAGER/MEMBER) and removing members. teams:manage-members in the
 * organisation or in the team's scope (its MANAGER). Within a request, the team is the object (NOT_FOUND
 * when unseen); a membership that is not of its organisation, or not in the team, is BAD_USER_INPUT.
 */
export class TeamMembershipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  /**
   * A place in the team grants the team's roles and, as MANAGER, the team-manager permissions; the
   * caller must be able to grant both (no escalation).
   */
  async add(ctx: RequestContext, input: TeamMemberInput): Promise<TeamMemberEntity> {
    const { team, snapshot, organisation } = await this.authorisePlace(ctx, input, 'addTeamMember');
    const expiresAt = grantExpiryInput(input.expiresAt, 'expiresAt');
    const place = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, team.organisationId);
      await reloadTeam(manager, team);
      const userId = await this.memberOf(manager, team, input.membershipId);
      const granted = await grantedRoles(manager, team.id);
      assertNotTimeBoundOwner(granted, expiresAt, 'expiresAt');
      assertCanGrant(snapshot, granted, this.catalogue, organisation.permissionBoundary);
      // A place that has expired (and is not swept yet) is no place: adding the member again replaces it.
      const rows: Record<string, unknown>[] = await manager.query(
        `INSERT INTO team_members (team_id, membership_id, organisation_id, role, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (team_id, membership_id, organisation_id) DO UPDATE SET role = EXCLUDED.role, expires_at = EXCLUDED.expires_at, added_at = now()
           WHERE NOT ${liveGrant('team_members')}
         RETURNING ${PLACE_COLUMNS}`,
        [team.id, input.membershipId, team.organisationId, input.role, expiresAt],
      );
      if (rows.length === 0) throw conflict('The member is already in this team');
      await this.audit.record(manager, ctx, {
        organisationId: team.organisationId,
        action: 'team.member-added',
        targetType: 'Team',
        targetId: team.id,
        details: { membershipId: input.membershipId, userId, role: input.role, expiresAt },
      });
      emitEvent(manager, ctx, { organisationId: team.organisationId, type: 'team.member_added', objectId: team.id, data: { teamId: team.id, membershipId: input.membershipId, userId, role: input.role, expiresAt } });
      return teamPlaceFromRow(rows[0]);
    });
    this.forget(ctx, team, input.membershipId);
    return place;
  }

  /** Moves a member between MANAGER and MEMBER; asking for the current role changes nothing. */
  async setRole(ctx: RequestContext, input: TeamMemberInput): Promise<TeamMemberEntity> {
    if (input.expiresAt !== null && input.expiresAt !== undefined) throw badInput('expiresAt applies to addTeamMember', { field: 'expiresAt' });
    const { team, snapshot, organisation } = await this.authorisePlace(ctx, input, 'setTeamMemberRole');
    const place = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, team.organisationId);
      await reloadTeam(manager, team);
      const current = await this.placeOf(manager, team, input.membershipId);
      if (current.role === input.role) return current;
      await manager.query('UPDATE team_members SET role = $3 WHERE team_id = $1 AND membership_id = $2', [team.id, current.membershipId, input.role]);
      await this.audit.record(manager, ctx, {
        organisationId: team.organisationId,
        action: 'team.member-role-changed',
        targetType: 'Team',
        targetId: team.id,
        details: { membershipId: current.membershipId, from: current.role, to: input.role },
      });
      emitEvent(manager, ctx, { organisationId: team.organisationId, type: 'team.member_role_changed', objectId: team.id, data: { teamId: team.id, membershipId: current.membershipId, before: { role: current.role }, after: { role: input.role } } });
      return Object.assign(current, { role: input.role });
    });
    this.forget(ctx, team, input.membershipId);
    return place;
  }

  /**
   * Removes a member's place (the membership stays). Leaving a team that grants Owner takes Owner
   * away: Owners only, and an active Owner must remain.
   */
  async remove(ctx: RequestContext, teamId: string, membershipId: string): Promise<boolean> {
    const { object: team, snapshot } = await requireTeam(mutationPermissions.removeTeamMember, ctx, { teamId, membershipId });
    await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, team.organisationId);
      await reloadTeam(manager, team);
      const current = await this.placeOf(manager, team, membershipId);
      assertMayTakeOwner(snapshot, await grantedRoles(manager, team.id), 'remove a member from a team that grants the Owner role');
      await manager.query('DELETE FROM team_members WHERE team_id = $1 AND membership_id = $2', [team.id, current.membershipId]);
      await assertOwnerRemains(manager, team.organisationId);
      await this.audit.record(manager, ctx, {
        organisationId: team.organisationId,
        action: 'team.member-removed',
        targetType: 'Team',
        targetId: team.id,
        details: { membershipId: current.membershipId, role: current.role },
      });
      emitEvent(manager, ctx, { organisationId: team.organisationId, type: 'team.member_removed', objectId: team.id, data: { teamId: team.id, membershipId: current.membershipId, role: current.role } });
    });
    this.forget(ctx, team, membershipId);
    return true;
  }

  /**
   * Removes team places inside the caller's transaction, which locked the organisation first
   * (access-review revokes, one or many). Each removal is checked on its own authority
   * ({@link placeRemovalRefusal}: the first refusal throws); places already gone are skipped; an active
   * Owner must remain (CONFLICT). Audited and evented as `removeTeamMember`, one record per place, in a
   * handful of statements whatever their number. Answers the places it removed.
   */
  async removePlaces(manager: EntityManager, ctx: RequestContext | null, organisationId: string, removals: readonly PlaceRemoval[], details: Record<string, unknown> = {}): Promise<{ teamId: string; membershipId: string }[]> {
    if (removals.length === 0) return [];
    const owning: { team_id: string }[] = await manager.query(
      `SELECT DISTINCT tr.team_id FROM team_roles tr JOIN roles r ON r.id = tr.role_id AND r.built_in_key = 'owner'
       WHERE tr.organisation_id = $1 AND tr.team_id = ANY($2::uuid[])`,
      [organisationId, [...new Set(removals.map((removal) => removal.teamId))]],
    );
    for (const removal of removals) {
      const refusal = placeRemovalRefusal(removal.authority, removal.teamId, owning.some((row) => row.team_id === removal.teamId));
      if (refusal) {
        recordRefusal(removal.authority.hasInTeam(removal.teamId, 'teams:manage-members') ? 'role:owner' : 'teams:manage-members', ErrorCode.FORBIDDEN);
        throw refusal;
      }
    }
    const removed: { team_id: string; membership_id: string; role: TeamMemberRole; user_id: string }[] = await manager.query(
      // As a CTE: TypeORM answers a bare DELETE … RETURNING as [rows, count].
      `WITH removed AS (DELETE FROM team_members tm USING memberships m
         WHERE tm.organisation_id = $1 AND m.id = tm.membership_id
           AND (tm.team_id, tm.membership_id) IN (SELECT * FROM unnest($2::uuid[], $3::uuid[]))
         RETURNING tm.team_id, tm.membership_id, tm.role, m.user_id)
       SELECT * FROM removed`,
      [organisationId, removals.map((removal) => removal.teamId), removals.map((removal) => removal.membershipId)],
    );
    if (removed.length === 0) return [];
    await assertOwnerRemains(manager, organisationId);
    await this.audit.recordMany(
      manager,
      ctx,
      removed.map((row) => ({
        organisationId,
        action: 'team.member-removed',
        targetType: 'Team',
        targetId: row.team_id,
        details: { membershipId: row.membership_id, role: row.role, ...details },
      })),
    );
    emitEvents(
      manager,
      ctx,
      removed.map((row) => ({
        organisationId,
        type: 'team.member_removed' as const,
        objectId: row.team_id,
        data: { teamId: row.team_id, membershipId: row.membership_id, role: row.role },
      })),
    );
    return removed.map((row) => ({ teamId: row.team_id, membershipId: row.membership_id }));
  }

  /** teams:manage-members for the team; giving someone the MANAGER place also needs what it grants. */
  private async authorisePlace(ctx: RequestContext, input: TeamMemberInput, mutation: 'addTeamMember' | 'setTeamMemberRole'): Promise<{ team: TeamEntity; snapshot: AccessSnapshot; organisation: OrganisationEntity }> {
    const { object: team, snapshot } = await requireTeam(mutationPermissions[mutation], ctx, { input });
    const organisation = (await ctx.loaders.organisationById.load(team.organisationId)) as OrganisationEntity;
    if (input.role === TeamMemberRole.MANAGER) this.assertMayAppointManager(snapshot, team, organisation);
    return { team, snapshot, organisation };
  }

  /** A MANAGER gets the team-manager permissions in the team's scope: the caller must hold them there. */
  private assertMayAppointManager(snapshot: AccessSnapshot, team: TeamEntity, organisation: OrganisationEntity): void {
    const boundary = organisation.permissionBoundary;
    const missing = TEAM_MANAGER_PERMISSIONS.filter((key) => (boundary === null || boundary.includes(key)) && !snapshot.hasInTeam(team.id, key));
    if (missing.length > 0) throw forbidden(`You cannot appoint a team manager: you do not hold ${missing.join(', ')} for this team`);
  }

  /** The membership's user, when the membership belongs to the team's organisation (locked against removal). */
  private async memberOf(manager: EntityManager, team: TeamEntity, membershipId: string): Promise<string> {
    const rows: { user_id: string }[] = isId(membershipId)
      ? await manager.query('SELECT user_id FROM memberships WHERE id = $1 AND organisation_id = $2 FOR SHARE', [membershipId, team.organisationId])
      : [];
    if (rows.length === 0) throw badInput('Unknown membership', { field: 'membershipId' });
    return rows[0].user_id;
  }

  /** The membership's place in the team; not in the team (or not a membership of ours) is BAD_USER_INPUT. */
  private async placeOf(manager: EntityManager, team: TeamEntity, membershipId: string): Promise<TeamMemberEntity> {
    const rows: Record<string, unknown>[] = isId(membershipId)
      ? await manager.query(`SELECT ${PLACE_COLUMNS} FROM team_members tm WHERE team_id = $1 AND membership_id = $2 AND ${liveGrant('tm')} FOR UPDATE`, [team.id, membershipId])
      : [];
    if (rows.length === 0) throw badInput('The membership is not in this team', { field: 'membershipId' });
    return teamPlaceFromRow(rows[0]);
  }

  /** Access and the loaders that cached the team's size or the member's places are stale now. */
  private forget(ctx: RequestContext, team: TeamEntity, membershipId: string): void {
    ctx.invalidateAccess();
    ctx.loaders.memberCountByTeamId.clear(team.id);
    ctx.loaders.teamPlacesByMembershipId.clear(membershipId);
  }
}
