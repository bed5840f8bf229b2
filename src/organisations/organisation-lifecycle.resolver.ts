import { Arg, Ctx, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { OwnershipTransfer } from '../memberships/ownership-transfer.service';
import type { OrganisationEntity } from './organisation.entity';
import { OrganisationType } from './organisation.type';

@ObjectType('OwnershipTransfer', { description: 'What transferOwnership changed: the caller lost Owner and kept Admin; the recipient became Owner' })
export class OwnershipTransferType {
  @Field(() => MembershipType, { description: "The caller's membership: Owner removed, Admin held" }) previousOwner!: MembershipEntity;
  @Field(() => MembershipType, { description: "The recipient's membership, now holding Owner" }) newOwner!: MembershipEntity;
}

/** Platform-administrator and Owner operations on an organisation's lifecycle, and user erasure. */
@Resolver()
export class OrganisationLifecycleResolver {
  @Mutation(() => MembershipType, {
    description: 'Platform administrators (break-glass): makes the person with this email an active Owner (a placeholder user if new; joins, or gains Owner and is reactivated). Audited as a platform action',
  })
  appointOwner(@Ctx() ctx: RequestContext, @Arg('organisationId', () => ID) organisationId: string, @Arg('email', () => String) email: string): Promise<MembershipEntity> {
    return ctx.services.ownerAppointments.appoint(ctx, organisationId, email).then((appointment) => ctx.loaders.membershipById.load(appointment.membershipId) as Promise<MembershipEntity>);
  }

  @Mutation(() => OwnershipTransferType, {
    description: 'An Owner hands Owner to another active member: the caller loses Owner (held directly) and keeps Admin',
  })
  transferOwnership(
    @Ctx() ctx: RequestContext,
    @Arg('organisationId', () => ID) organisationId: string,
    @Arg('toMembershipId', () => ID) toMembershipId: string,
  ): Promise<OwnershipTransfer> {
    return ctx.services.ownershipTransfer.transfer(ctx, organisationId, toMembershipId);
  }

  @Mutation(() => OrganisationType, { description: 'Platform administrators: members are refused (FORBIDDEN, reason ORGANISATION_SUSPENDED) until reactivated; nothing is lost' })
  suspendOrganisation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<OrganisationEntity> {
    return ctx.services.organisationLifecycle.suspend(ctx, id);
  }

  @Mutation(() => OrganisationType, { description: 'Platform administrators: a SUSPENDED, or DELETED but not yet purged, organisation becomes ACTIVE again' })
  reactivateOrganisation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<OrganisationEntity> {
    return ctx.services.organisationLifecycle.reactivate(ctx, id);
  }

  @Mutation(() => OrganisationType, {
    description: 'Platform administrators: soft delete (members refused, reason ORGANISATION_DELETED); its contents are purged ORGANISATION_PURGE_DAYS (default 30) after deletedAt',
  })
  deleteOrganisation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<OrganisationEntity> {
    return ctx.services.organisationLifecycle.delete(ctx, id);
  }

  @Mutation(() => Boolean, {
    description: 'Platform administrators, or the person themselves: pseudonymises the user (email, name, identity removed; audit rows keep the id) and removes their memberships. CONFLICT where they are the last active Owner',
  })
  eraseUser(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.userErasure.erase(ctx, id);
  }
}
