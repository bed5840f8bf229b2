import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { OrganisationEntity } from './organisation.entity';
import { CreateOrganisationInput, UpdateOrganisationInput } from './organisation.inputs';
import { OrganisationConnection, OrganisationSettingsType, OrganisationType } from './organisation.type';

@ArgsType()
export class OrganisationsArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the name or slug (at most 100 characters; blank: no filter)' })
  search?: string | null;
}

@Resolver(() => OrganisationType)
export class OrganisationResolver {
  @Query(() => OrganisationConnection, {
    description: 'Platform administrators: every organisation, whatever its status (support); others: those they are a member of (any status). Oldest first',
  })
  organisations(
    @Ctx() ctx: RequestContext,
    @Args() args: OrganisationsArgs,
  ): Promise<Connection<OrganisationEntity>> {
    return ctx.services.organisations.list(ctx, args, args.search);
  }

  @Query(() => OrganisationType, { nullable: true, description: 'By id or by slug (exactly one of them); null when it does not exist or you cannot see it' })
  organisation(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('slug', () => String, { nullable: true }) slug?: string | null,
  ): Promise<OrganisationEntity | null> {
    return ctx.services.organisations.findVisibleBy(ctx, { id, slug });
  }

  @Mutation(() => OrganisationType, { description: 'Platform administrators: creates the organisation, its built-in roles and its first Owner' })
  createOrganisation(@Ctx() ctx: RequestContext, @Arg('input', () => CreateOrganisationInput) input: CreateOrganisationInput): Promise<OrganisationEntity> {
    return ctx.services.organisations.create(ctx, input);
  }

  @Mutation(() => OrganisationType, { description: 'Needs org:update; the permission boundary needs an Owner' })
  updateOrganisation(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateOrganisationInput) input: UpdateOrganisationInput,
  ): Promise<OrganisationEntity> {
    return ctx.services.organisations.update(ctx, id, input);
  }

  @FieldResolver(() => [String], { description: 'What you may do here (empty unless you are an active member)' })
  async viewerPermissions(@Ctx() ctx: RequestContext, @Root() organisation: OrganisationEntity): Promise<string[]> {
    return [...(await ctx.access(organisation.id)).permissions].sort();
  }

  @FieldResolver(() => OrganisationSettingsType)
  settings(@Root() organisation: OrganisationEntity): OrganisationSettingsType {
    const { id, invitationExpiryDays, requireMfa, requireApproval, allowedEmailDomains, autoJoinDomains, maxElevationHours } = organisation;
    // One source of truth: requiredForAll is requireMfa.
    const mfaPolicy = { organisationId: id, requiredForRoleIds: organisation.mfaRequiredRoleIds ?? [], requiredForAll: requireMfa, graceUntil: organisation.mfaGraceUntil ?? null };
    return { organisationId: id, invitationExpiryDays, requireMfa, mfaPolicy, requireApproval, allowedEmailDomains, autoJoinDomains, maxElevationHours };
  }
}
