import type { AccessSnapshot } from '../access/access-snapshot';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { assertCanGrant } from '../access/escalation-guard';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { badInput, notFound } from '../core/errors';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { lockOrganisation } from '../memberships/last-owner-guard';
import type { OrganisationService } from '../organisations/organisation.service';
import { lockGrantedRoles } from '../roles/role-locks';
import { RoleEntity } from '../roles/role.entity';
import { TeamEntity } from '../teams/team.entity';
import { invitationConflict, InvitationRefusal, notPending } from './invitation-errors';
import { composeInvitationEmail } from './invitation-email';
import { insertMany } from '../core/database/bulk-insert';
import { assertNotTimeBoundOwner, grantExpiryInput } from '../access/grant-expiry';
import { assertDomainAllowed, daysFromNow, expiryDays, normaliseEmail } from './invitation-policy';
import { effectiveStatus, InvitationStatus } from './invitation-status';
import { acceptUrl, newInvitationToken } from './invitation-token';
import { InvitationEntity } from './invitation.entity';
import type { InviteUserInput } from './invitation.inputs';
import { enqueueEmail, supersedeInvitationEmails } from './outbox/email-outbox';
import { runTransaction } from '../core/database/transaction';
import { emitEvent } from '../events/event-emitter';
import { mutationPermissions } from '../core/authz/mutation-permissions';

export interface InvitationServiceOptions {
  /** INVITATION_ACCEPT_URL_BASE: the emailed link is this with `?token=…`. */
  acceptUrlBase: string;
}

/** What the inviter gets back, once: the token is never readable again. */
export interface InvitationPayload {
  token: string;
  invitation: InvitationEntity;
}

/**
 * Inviting, resending and cancelling (DESIGN.md §4). Every write is one transaction with its audit
 * event and, for invite and resend, the email in the outbox.
 */
export class InvitationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
    private readonly organisations: OrganisationService,
    private readonly options: InvitationServiceOptions,
  ) {}

  /** members:invite; roles the caller could not assign are refused (FORBIDDEN), ids of elsewhere are BAD_USER_INPUT. */
  async invite(ctx: RequestContext, input: InviteUserInput): Promise<InvitationPayload> {
    const snapshot = (await mutationPermissions.inviteUser.authorize(ctx, { input })).snapshot as AccessSnapshot;
    const organisation = await ctx.loaders.organisationById.load(input.organisationId);
    if (!organisation) throw notFound('Organisation');
    const email = normaliseEmail(input.email);
    assertDomainAllowed(organisation.allowedEmailDomains, email);
    const days = expiryDays(input.expiresInDays, organisation.invitationExpiryDays);
    const roles = await this.offeredRoles(organisation.id, input.roleIds ?? []);
    const roleExpiresAt = grantExpiryInput(input.expiresAt, 'expiresAt');
    assertNotTimeBoundOwner(roles, roleExpiresAt, 'expiresAt');
    assertCanGrant(snapshot, roles, this.catalogue, organisation.permissionBoundary);
    const teams = await this.offeredTeams(organisation.id, input.teamIds ?? []);
    const { token, hash } = newInvitationToken();
    const invitation = await this.writing(() =>
      runTransaction(this.dataSource, async (manager) => {
        // Lock order: the organisation, then the offered roles (a concurrent deleteRole waits or has won).
        await lockOrganisation(manager, organisation.id);
        await lockGrantedRoles(manager, organisation.id, roles.map((role) => role.id), 'field');
        await this.assertNotMember(manager, organisation.id, email);
        await this.assertNoOpenInvitation(manager, organisation.id, email);
        // The invitee exists as a User from now on: a placeholder, linked at their first verified sign-in.
        const invitee = await this.organisations.findOrCreatePlaceholder(manager, email);
        const created = await this.insert(manager, ctx, organisation, { email, inviteeUserId: invitee.id, tokenHash: hash, expiresAt: daysFromNow(days), roles, teams, roleExpiresAt });
        await this.queueEmail(manager, ctx, organisation, created, token);
        return created;
      }),
    );
    ctx.loaders.invitationById.prime(invitation.id, invitation);
    return { token, invitation };
  }

  /** invitations:manage: a new token and expiry (the old token stops working) and a new email. */
  async resend(ctx: RequestContext, id: string): Promise<InvitationPayload> {
    const found = await this.findManageable(ctx, id, 'resendInvitation');
    const snapshot = await ctx.access(found.organisationId);
    const organisation = (await ctx.loaders.organisationById.load(found.organisationId)) as OrganisationEntity;
    // A new token is a new grant of the invitation's roles: the resender must be able to give them too.
    assertCanGrant(snapshot, await ctx.loaders.rolesByInvitationId.load(found.id), this.catalogue, organisation.permissionBoundary);
    const { token, hash } = newInvitationToken();
    const invitation = await runTransaction(this.dataSource, async (manager) => {
      const locked = await this.locked(manager, found.id);
      if (locked.status !== InvitationStatus.PENDING) throw notPending(locked.status);
      assertDomainAllowed(organisation.allowedEmailDomains, locked.email);
      await this.assertNotMember(manager, organisation.id, locked.email);
      const previousExpiresAt = locked.expiresAt;
      Object.assign(locked, { tokenHash: hash, expiresAt: daysFromNow(organisation.invitationExpiryDays) });
      const saved = await manager.save(locked);
      await supersedeInvitationEmails(manager, saved.id);
      await this.queueEmail(manager, ctx, organisation, saved, token);
      await this.audit.record(manager, ctx, {
        organisationId: organisation.id,
        action: 'invitation.resent',
        targetType: 'Invitation',
        targetId: saved.id,
        details: { previousExpiresAt: previousExpiresAt.toISOString(), expiresAt: saved.expiresAt.toISOString() },
      });
      emitEvent(manager, ctx, {
        organisationId: organisation.id,
        type: 'invitation.resent',
        objectId: saved.id,
        data: { invitationId: saved.id, email: saved.email, before: { expiresAt: previousExpiresAt.toISOString() }, after: { expiresAt: saved.expiresAt.toISOString() } },
      });
      return saved;
    });
    ctx.loaders.invitationById.clear(id).prime(id, invitation);
    return { token, invitation };
  }

  /** invitations:manage: a pending (or expired) invitation becomes CANCELLED; accepted or cancelled ones are a CONFLICT. */
  async cancel(ctx: RequestContext, id: string): Promise<InvitationEntity> {
    const found = await this.findManageable(ctx, id, 'cancelInvitation');
    const invitation = await runTransaction(this.dataSource, async (manager) => {
      const locked = await this.locked(manager, found.id);
      if (locked.status !== InvitationStatus.PENDING) throw notPending(locked.status);
      const wasStatus = effectiveStatus(locked);
      Object.assign(locked, { status: InvitationStatus.CANCELLED, cancelledAt: new Date() });
      const saved = await manager.save(locked);
      await supersedeInvitationEmails(manager, saved.id);
      await this.audit.record(manager, ctx, {
        organisationId: saved.organisationId,
        action: 'invitation.cancelled',
        targetType: 'Invitation',
        targetId: saved.id,
        details: { wasStatus },
      });
      emitEvent(manager, ctx, { organisationId: saved.organisationId, type: 'invitation.cancelled', objectId: saved.id, data: { invitationId: saved.id, email: saved.email, wasStatus } });
      return saved;
    });
    ctx.loaders.invitationById.clear(id).prime(id, invitation);
    return invitation;
  }

  /** The invitation row, its grants and its audit event. */
  private async insert(
    manager: EntityManager,
    ctx: RequestContext,
    organisation: OrganisationEntity,
    offer: { email: string; inviteeUserId: string; tokenHash: string; expiresAt: Date; roles: RoleEntity[]; teams: TeamEntity[]; roleExpiresAt?: Date | null },
  ): Promise<InvitationEntity> {
    const { email, inviteeUserId, tokenHash, expiresAt, roles, teams } = offer;
    const roleExpiresAt = offer.roleExpiresAt ?? null;
    const invitation = await manager.save(
      manager.create(InvitationEntity, { organisationId: organisation.id, email, tokenHash, status: InvitationStatus.PENDING, expiresAt, invitedById: ctx.userId, roleExpiresAt }),
    );
    const grant = [
      { name: 'invitation_id', type: 'uuid', value: invitation.id },
      { name: 'organisation_id', type: 'uuid', value: organisation.id },
    ];
    await insertMany(manager, 'invitation_roles', [...grant, { name: 'role_id', type: 'uuid', values: roles.map((role) => role.id) }]);
    await insertMany(manager, 'invitation_teams', [...grant, { name: 'team_id', type: 'uuid', values: teams.map((team) => team.id) }]);
    await this.audit.record(manager, ctx, {
      organisationId: organisation.id,
      action: 'invitation.created',
      targetType: 'Invitation',
      targetId: invitation.id,
      // The invitee by id: audit rows keep no personal data (they cannot be erased; the users row can).
      details: { inviteeUserId, roleIds: roles.map((role) => role.id), teamIds: teams.map((team) => team.id), expiresAt: expiresAt.toISOString(), roleExpiresAt },
    });
    emitEvent(manager, ctx, {
      organisationId: organisation.id,
      type: 'invitation.created',
      objectId: invitation.id,
      data: { invitationId: invitation.id, email, roleIds: roles.map((role) => role.id), teamIds: teams.map((team) => team.id), expiresAt: expiresAt.toISOString() },
    });
    return invitation;
  }

  /** An invitation the caller may manage; another organisation's looks like none at all (NOT_FOUND). */
  private async findManageable(ctx: RequestContext, id: string, mutation: 'resendInvitation' | 'cancelInvitation'): Promise<InvitationEntity> {
    return (await mutationPermissions[mutation].authorize(ctx, { id })).object;
  }

  private async locked(manager: EntityManager, id: string): Promise<InvitationEntity> {
    const invitation = await manager.findOne(InvitationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!invitation) throw notFound('Invitation');
    return invitation;
  }

  /** The roles by id, all of this organisation (else BAD_USER_INPUT); none given: the built-in Member role. */
  private async offeredRoles(organisationId: string, roleIds: string[]): Promise<RoleEntity[]> {
    const repository = this.dataSource.getRepository(RoleEntity);
    if (roleIds.length === 0) return [await repository.findOneByOrFail({ organisationId, builtInKey: 'member' })];
    const ids = [...new Set(roleIds)];
    const roles = await repository.findBy({ id: In(ids.filter(isId)), organisationId });
    const unknown = ids.filter((id) => !roles.some((role) => role.id === id));
    if (unknown.length > 0) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { field: 'roleIds', unknown });
    return roles;
  }

  private async offeredTeams(organisationId: string, teamIds: string[]): Promise<TeamEntity[]> {
    const ids = [...new Set(teamIds)];
    if (ids.length === 0) return [];
    const teams = await this.dataSource.getRepository(TeamEntity).findBy({ id: In(ids.filter(isId)), organisationId });
    const unknown = ids.filter((id) => !teams.some((team) => team.id === id));
    if (unknown.length > 0) throw badInput(`Unknown teams: ${unknown.join(', ')}`, { field: 'teamIds', unknown });
    return teams;
  }

  /** CONFLICT when someone with this email is a member already (active, pending approval or deactivated). */
  private async assertNotMember(manager: EntityManager, organisationId: string, email: string): Promise<void> {
    const [member] = await manager.query(
      'SELECT m.id, m.status FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND lower(u.email) = $2',
      [organisationId, email],
    );
    if (member) {
      throw invitationConflict(InvitationRefusal.ALREADY_MEMBER, `${email} is already a member of this organisation (${member.status})`, {
        membershipId: member.id,
        memberStatus: member.status,
      });
    }
  }

  /** CONFLICT when a pending (or expired, not yet cancelled) invitation to this email exists: resend or cancel that one. */
  private async assertNoOpenInvitation(manager: EntityManager, organisationId: string, email: string): Promise<void> {
    const open = await manager.findOneBy(InvitationEntity, { organisationId, email, status: InvitationStatus.PENDING });
    if (open) throw this.openInvitationConflict(email, open);
  }

  private openInvitationConflict(email: string, open?: InvitationEntity) {
    const expired = open ? effectiveStatus(open) === InvitationStatus.EXPIRED : false;
    const message = expired
      ? `An expired invitation to ${email} exists: resend it, or cancel it first`
      : `An invitation to ${email} is already pending: resend it instead`;
    return invitationConflict(InvitationRefusal.PENDING_INVITATION, message, open ? { invitationId: open.id } : {});
  }

  private async queueEmail(manager: EntityManager, ctx: RequestContext, organisation: OrganisationEntity, invitation: InvitationEntity, token: string): Promise<void> {
    const { subject, body } = composeInvitationEmail({
      organisationName: organisation.name,
      inviterName: ctx.principal?.user.displayName ?? null,
      email: invitation.email,
      url: acceptUrl(this.options.acceptUrlBase, token),
      expiresAt: invitation.expiresAt,
    });
    await enqueueEmail(manager, { organisationId: organisation.id, invitationId: invitation.id, to: invitation.email, subject, body });
  }

  /** Two concurrent invitations of one email: the partial unique index lets one through. */
  private async writing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (uniqueViolation(error) === 'invitations_pending_email_key') throw this.openInvitationConflict('this email');
      throw error;
    }
  }
}
