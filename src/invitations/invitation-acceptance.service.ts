import { isLiveAt } from '../access/grant-expiry';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { notFound, organisationRefused } from '../core/errors';
import type { MembershipWriter } from '../memberships/membership-writer';
import { MembershipStatus } from '../memberships/membership-status';
import type { MembershipEntity } from '../memberships/membership.entity';
import { organisationRefusal } from '../organisations/organisation-status';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { TeamMemberRole } from '../teams/team-member-role';
import { insertMany } from '../core/database/bulk-insert';
import { invitationConflict, invitationForbidden, InvitationRefusal, notPending } from './invitation-errors';
import { assertInvitee } from './invitation-acceptance-access';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import { domainAllowed } from './invitation-policy';
import { InvitationStatus } from './invitation-status';
import { hashInvitationToken, isWellFormedToken } from './invitation-token';
import { INVITATION_COLUMNS, invitationFromRow } from './invitation.rows';
import { InvitationEntity } from './invitation.entity';
import { runTransaction } from '../core/database/transaction';
import { emitEvents } from '../events/event-emitter';

const ALREADY_MEMBER = () => invitationConflict(InvitationRefusal.ALREADY_MEMBER, 'You are already a member of this organisation');

/**
 * `acceptInvitation(token)`: the signed-in user whose token carries the invited email, verified,
 * becomes a member with the invitation's roles and teams, in one transaction. The invitation row is
 * locked first, so concurrent accepts of one token serialise and exactly one succeeds.
 */
export class InvitationAcceptanceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly memberships: MembershipWriter,
  ) {}

  async accept(ctx: RequestContext, token: string): Promise<MembershipEntity> {
    const principal = ctx.requirePrincipal();
    // The declaration of the rule map (the token names the caller), again; then, on the locked row, again.
    await mutationPermissions.acceptInvitation.authorize(ctx, { token });
    if (!isWellFormedToken(token)) throw notFound('Invitation');
    const tokenHash = hashInvitationToken(token);
    let membership: MembershipEntity;
    try {
      membership = await runTransaction(this.dataSource, async (manager) => {
        const invitation = await this.lockByTokenHash(manager, tokenHash);
        assertInvitee(principal.identity, invitation.email);
        assertStillOpen(invitation);
        const organisation = await manager.findOneByOrFail(OrganisationEntity, { id: invitation.organisationId });
        // A suspended or deleted organisation admits nobody (FORBIDDEN with its reason).
        const refusal = organisationRefusal(organisation.status);
        if (refusal) throw organisationRefused(refusal);
        // The domain policy may have tightened since the invitation was sent.
        if (!domainAllowed(organisation.allowedEmailDomains, invitation.email)) {
          throw invitationForbidden(InvitationRefusal.EMAIL_DOMAIN_NOT_ALLOWED, 'This organisation no longer admits members with this email domain');
        }
        return this.join(manager, ctx, invitation, organisation, principal.user.id);
      });
    } catch (error) {
      // A membership made meanwhile by another path (auto-join, import) for the same person.
      if (uniqueViolation(error) === 'memberships_user_organisation_key') throw ALREADY_MEMBER();
      throw error;
    }
    ctx.invalidateAccess();
    ctx.loaders.membershipsByUserId.clear(principal.user.id);
    ctx.loaders.membershipById.prime(membership.id, membership);
    return membership;
  }

  private async lockByTokenHash(manager: EntityManager, tokenHash: string): Promise<InvitationEntity & { expired: boolean }> {
    const [row] = await manager.query(
      `SELECT ${INVITATION_COLUMNS}, i.expires_at <= now() AS expired FROM invitations i WHERE i.token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    if (!row) throw notFound('Invitation');
    return Object.assign(invitationFromRow(row), { expired: row.expired === true });
  }

  private async join(manager: EntityManager, ctx: RequestContext, invitation: InvitationEntity, organisation: OrganisationEntity, userId: string): Promise<MembershipEntity> {
    // Time-bound roles (InviteUserInput.expiresAt) are granted until then; past it, they are not granted at all.
    const rolesExpireAt = invitation.roleExpiresAt;
    const rolesLapsed = rolesExpireAt !== null && !isLiveAt(rolesExpireAt.getTime(), Date.now());
    const roleIds: string[] = rolesLapsed
      ? []
      : (await manager.query('SELECT role_id FROM invitation_roles WHERE invitation_id = $1', [invitation.id])).map((row: { role_id: string }) => row.role_id);
    const teamIds: string[] = (await manager.query('SELECT team_id FROM invitation_teams WHERE invitation_id = $1', [invitation.id])).map((row: { team_id: string }) => row.team_id);
    const status = organisation.requireApproval ? MembershipStatus.PENDING_APPROVAL : MembershipStatus.ACTIVE;
    const { membership, created } = await this.memberships.join(manager, ctx, { organisationId: organisation.id, userId, roleIds, status, via: 'invitation', rolesExpireAt });
    if (!created) throw ALREADY_MEMBER();
    await insertMany(manager, 'team_members', [
      { name: 'team_id', type: 'uuid', values: teamIds },
      { name: 'membership_id', type: 'uuid', value: membership.id },
      { name: 'organisation_id', type: 'uuid', value: organisation.id },
      { name: 'role', type: 'text', value: TeamMemberRole.MEMBER },
    ]);
    await manager.update(InvitationEntity, { id: invitation.id }, { status: InvitationStatus.ACCEPTED, acceptedAt: new Date(), acceptedById: userId });
    await this.audit.record(manager, ctx, {
      organisationId: organisation.id,
      action: 'invitation.accepted',
      targetType: 'Invitation',
      targetId: invitation.id,
      details: { membershipId: membership.id, userId, status, roleIds, teamIds },
    });
    emitEvents(manager, ctx, [
      { organisationId: organisation.id, type: 'invitation.accepted', objectId: invitation.id, data: { invitationId: invitation.id, email: invitation.email, membershipId: membership.id, userId, roleIds, teamIds } },
      ...teamIds.map((teamId) => ({ organisationId: organisation.id, type: 'team.member_added' as const, objectId: teamId, data: { teamId, membershipId: membership.id, userId, role: TeamMemberRole.MEMBER, via: 'invitation' } })),
    ]);
    return membership;
  }
}


/** CONFLICT for an accepted, cancelled or expired invitation. */
function assertStillOpen(invitation: InvitationEntity & { expired: boolean }): void {
  if (invitation.status !== InvitationStatus.PENDING) throw notPending(invitation.status);
  if (invitation.expired) throw invitationConflict(InvitationRefusal.EXPIRED, 'This invitation has expired: ask for a new one');
}
