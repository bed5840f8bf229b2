import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { InvitationPayload } from './invitation.service';
import type { InvitationEntity } from './invitation.entity';
import { InviteUserInput } from './invitation.inputs';
import { InvitationPayloadType, InvitationType } from './invitation.type';

@Resolver(() => InvitationType)
export class InvitationMutationsResolver {
  @Mutation(() => InvitationPayloadType, { description: 'members:invite, granting only roles you could assign. The token is returned here once and emailed' })
  inviteUser(@Ctx() ctx: RequestContext, @Arg('input', () => InviteUserInput) input: InviteUserInput): Promise<InvitationPayload> {
    return ctx.services.invitations.invite(ctx, input);
  }

  @Mutation(() => InvitationPayloadType, { description: "invitations:manage: a new token and expiry (the organisation's default); the old token stops working" })
  resendInvitation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<InvitationPayload> {
    return ctx.services.invitations.resend(ctx, id);
  }

  @Mutation(() => InvitationType, { description: 'invitations:manage: a pending or expired invitation becomes CANCELLED' })
  cancelInvitation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<InvitationEntity> {
    return ctx.services.invitations.cancel(ctx, id);
  }

  @Mutation(() => MembershipType, {
    description: 'Signed in with the invited email, verified: you become a member (ACTIVE, or PENDING_APPROVAL where approval is required)',
  })
  acceptInvitation(@Ctx() ctx: RequestContext, @Arg('token', () => String) token: string): Promise<MembershipEntity> {
    return ctx.services.invitationAcceptance.accept(ctx, token);
  }
}
