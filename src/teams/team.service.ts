import { In, type DataSource, type EntityManager } from 'typeorm';
import { assertCanGrant } from '../access/escalation-guard';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { badInput, conflict } from '../core/errors';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { assertOwnerRemains, lockOrganisation } from '../memberships/last-owner-guard';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { lockGrantedRoles } from '../roles/role-locks';
import { RoleEntity } from '../roles/role.entity';
import { assertMayTakeOwner, grantedRoles, reloadTeam, requireTeam } from './team-access';
import { TeamRoleEntity } from './team-role.entity';
import type { CreateTeamInput, UpdateTeamInput } from './team.inputs';
import { TeamEntity } from './team.entity';
import { runTransaction } from '../core/database/transaction';
import { insertMany } from '../core/database/bulk-insert';
import { emitEvent } from '../events/event-emitter';
import { mutationPermissions } from '../core/authz/mutation-permissions';

/** At most this many roles granted by one team (one request). */
export const MAX_TEAM_ROLES = 100;

/** Teams themselves: create, rename, delete, and the roles a team grants to all its members. */
export class TeamService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  /** teams:create in the organisation; a name taken there (case-insensitively) is CONFLICT. */
  async create(ctx: RequestContext, input: CreateTeamInput): Promise<TeamEntity> {
    await mutationPermissions.createTeam.authorize(ctx, { input });
    const name = input.name.trim();
    const team = await this.writing(name, () =>
      runTransaction(this.dataSource, async (manager) => {
        const created = await manager.save(manager.create(TeamEntity, { organisationId: input.organisationId, name, description: input.description?.trim() ?? '' }));
        await this.audit.record(manager, ctx, { organisationId: created.organisationId, action: 'team.created', targetType: 'Team', targetId: created.id, details: { name, description: created.description } });
        emitEvent(manager, ctx, { organisationId: created.organisationId, type: 'team.created', objectId: created.id, data: { teamId: created.id, name, description: created.description } });
        return created;
      }),
    );
    ctx.loaders.teamById.prime(team.id, team);
    return team;
  }

  /** teams:update in the organisation, or as the team's MANAGER. */
  async update(ctx: RequestContext, id: string, input: UpdateTeamInput): Promise<TeamEntity> {
    const { object: team } = await requireTeam(mutationPermissions.updateTeam, ctx, { id });
    const changes: Partial<Pick<TeamEntity, 'name' | 'description'>> = {};
    if (input.name !== undefined && input.name !== null) changes.name = input.name.trim();
    if (input.description !== undefined && input.description !== null) changes.description = input.description.trim();
    const saved = await this.writing(changes.name ?? team.name, () =>
      runTransaction(this.dataSource, async (manager) => {
        await lockOrganisation(manager, team.organisationId);
        const current = await reloadTeam(manager, team);
        const changed = (Object.keys(changes) as (keyof typeof changes)[]).filter((key) => changes[key] !== current[key]);
        if (changed.length === 0) return current; // nothing to change: nothing written
        const before = Object.fromEntries(changed.map((key) => [key, current[key]]));
        const after = Object.fromEntries(changed.map((key) => [key, changes[key]]));
        const updated = await manager.save(Object.assign(current, after));
        await this.audit.record(manager, ctx, { organisationId: team.organisationId, action: 'team.updated', targetType: 'Team', targetId: team.id, details: { before, after } });
        emitEvent(manager, ctx, { organisationId: team.organisationId, type: 'team.updated', objectId: team.id, data: { teamId: team.id, before, after } });
        return updated;
      }),
    );
    ctx.loaders.teamById.clear(team.id).prime(team.id, saved);
    return saved;
  }

  /**
   * teams:delete in the organisation. The team's places and grants go with it (its members stay);
   * since that can take Owner from someone, the organisation must keep an active Owner.
   */
  async delete(ctx: RequestContext, id: string): Promise<boolean> {
    const { object: team, snapshot } = await requireTeam(mutationPermissions.deleteTeam, ctx, { id });
    const memberIds = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, team.organisationId);
      const current = await reloadTeam(manager, team);
      const grants = await grantedRoles(manager, current.id);
      assertMayTakeOwner(snapshot, grants, 'delete a team that grants the Owner role');
      const places: { membership_id: string }[] = await manager.query('SELECT membership_id FROM team_members WHERE team_id = $1', [current.id]);
      const [{ invitations }] = await manager.query('SELECT count(*)::int AS invitations FROM invitation_teams WHERE team_id = $1', [current.id]);
      await manager.delete(TeamEntity, { id: current.id, organisationId: current.organisationId }); // places, grants and invitation links cascade
      await assertOwnerRemains(manager, current.organisationId);
      await this.audit.record(manager, ctx, {
        organisationId: current.organisationId,
        action: 'team.deleted',
        targetType: 'Team',
        targetId: current.id,
        details: { name: current.name, removedPlaces: places.length, removedGrants: grants.length, grantedRoleIds: grants.map((role) => role.id), removedFromInvitations: invitations },
      });
      emitEvent(manager, ctx, {
        organisationId: current.organisationId,
        type: 'team.deleted',
        objectId: current.id,
        data: { teamId: current.id, name: current.name, membershipIds: places.map((place) => place.membership_id), grantedRoleIds: grants.map((role) => role.id) },
      });
      return places.map((place) => place.membership_id);
    });
    ctx.invalidateAccess();
    ctx.loaders.teamById.clear(team.id);
    ctx.loaders.memberCountByTeamId.clear(team.id);
    ctx.loaders.grantedRolesByTeamId.clear(team.id);
    for (const membershipId of memberIds) ctx.loaders.teamPlacesByMembershipId.clear(membershipId);
    return true;
  }

  /**
   * Replaces the roles the team grants to all its members. teams:update organisation-wide (never team
   * scope: a grant reaches every member); added roles must be grantable by the caller (no escalation),
   * taking Owner away is for Owners, and an active Owner must remain.
   */
  async setRoles(ctx: RequestContext, teamId: string, roleIds: string[]): Promise<TeamEntity> {
    const { object: team, snapshot } = await requireTeam(mutationPermissions.setTeamRoles, ctx, { teamId });
    const roles = await this.rolesOf(team.organisationId, roleIds);
    const organisation = (await ctx.loaders.organisationById.load(team.organisationId)) as OrganisationEntity;
    await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, team.organisationId);
      await reloadTeam(manager, team);
      const current = await grantedRoles(manager, team.id);
      const added = roles.filter((role) => !current.some((held) => held.id === role.id));
      const removed = current.filter((held) => !roles.some((role) => role.id === held.id));
      await lockGrantedRoles(manager, team.organisationId, added.map((role) => role.id), 'argument');
      // Keeping a grant the team already had is not a grant; only additions can escalate.
      assertCanGrant(snapshot, added, this.catalogue, organisation.permissionBoundary);
      assertMayTakeOwner(snapshot, removed, "take the Owner role from a team's grants");
      await this.writeGrants(manager, team, added, removed);
      await assertOwnerRemains(manager, team.organisationId);
      await this.audit.record(manager, ctx, {
        organisationId: team.organisationId,
        action: 'team.roles-set',
        targetType: 'Team',
        targetId: team.id,
        details: { roleIds: roles.map((role) => role.id), added: added.map((role) => role.id), removed: removed.map((role) => role.id) },
      });
      if (added.length + removed.length > 0) {
        emitEvent(manager, ctx, {
          organisationId: team.organisationId,
          type: 'team.roles_changed',
          objectId: team.id,
          data: { teamId: team.id, before: { roleIds: current.map((role) => role.id) }, after: { roleIds: roles.map((role) => role.id) }, added: added.map((role) => role.id), removed: removed.map((role) => role.id) },
        });
      }
    });
    ctx.invalidateAccess();
    ctx.loaders.grantedRolesByTeamId.clear(team.id);
    return team;
  }

  /** The roles named, all of the team's organisation; an unknown or foreign id is BAD_USER_INPUT. */
  private async rolesOf(organisationId: string, roleIds: string[]): Promise<RoleEntity[]> {
    const unique = [...new Set(roleIds)];
    if (unique.length > MAX_TEAM_ROLES) throw badInput(`At most ${MAX_TEAM_ROLES} roles`, { argument: 'roleIds' });
    const roles = await this.dataSource.getRepository(RoleEntity).findBy({ id: In(unique.filter(isId)), organisationId });
    const unknown = unique.filter((id) => !roles.some((role) => role.id === id));
    if (unknown.length > 0) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { argument: 'roleIds', unknown });
    return unique.map((id) => roles.find((role) => role.id === id) as RoleEntity);
  }

  private async writeGrants(manager: EntityManager, team: TeamEntity, added: RoleEntity[], removed: RoleEntity[]): Promise<void> {
    if (removed.length > 0) await manager.delete(TeamRoleEntity, { teamId: team.id, roleId: In(removed.map((role) => role.id)) });
    await insertMany(manager, 'team_roles', [
      { name: 'team_id', type: 'uuid', value: team.id },
      { name: 'role_id', type: 'uuid', values: added.map((role) => role.id) },
      { name: 'organisation_id', type: 'uuid', value: team.organisationId },
    ]);
  }

  private async writing<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (uniqueViolation(error) === 'teams_organisation_name_key') throw conflict(`A team named "${name}" already exists`);
      throw error;
    }
  }
}
