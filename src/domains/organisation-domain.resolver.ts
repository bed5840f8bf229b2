import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { OrganisationDomainType } from './organisation-domain.type';

@Resolver(() => OrganisationDomainType)
export class OrganisationDomainResolver {
  @Mutation(() => OrganisationDomainType, { description: 'org:update: claims a domain (PENDING) and tells which TXT record proves it; asking again returns the same claim' })
  requestDomain(@Ctx() ctx: RequestContext, @Arg('organisationId', () => ID) organisationId: string, @Arg('domain', () => String) domain: string): Promise<OrganisationDomainType> {
    return ctx.services.domains.request(ctx, organisationId, domain);
  }

  @Mutation(() => OrganisationDomainType, { description: 'org:update: looks the TXT record up now; VERIFIED when it holds txtRecordValue' })
  verifyDomain(@Ctx() ctx: RequestContext, @Arg('organisationId', () => ID) organisationId: string, @Arg('domain', () => String) domain: string): Promise<OrganisationDomainType> {
    return ctx.services.domains.verify(ctx, organisationId, domain);
  }

  @Mutation(() => OrganisationDomainType, { description: 'Platform administrators: verifies a domain the organisation asked for, without DNS' })
  approveDomain(@Ctx() ctx: RequestContext, @Arg('organisationId', () => ID) organisationId: string, @Arg('domain', () => String) domain: string): Promise<OrganisationDomainType> {
    return ctx.services.domains.approve(ctx, organisationId, domain);
  }

  @Mutation(() => Boolean, { description: 'org:update: forgets the claim and takes the domain out of autoJoinDomains' })
  removeDomain(@Ctx() ctx: RequestContext, @Arg('organisationId', () => ID) organisationId: string, @Arg('domain', () => String) domain: string): Promise<boolean> {
    return ctx.services.domains.remove(ctx, organisationId, domain);
  }
}

@Resolver(() => OrganisationType)
export class OrganisationDomainsResolver {
  @FieldResolver(() => [OrganisationDomainType], { description: 'Domains claimed, pending or verified, by name' })
  domains(@Ctx() ctx: RequestContext, @Root() organisation: OrganisationEntity): Promise<OrganisationDomainType[]> {
    return ctx.loaders.domainsByOrganisationId.load(organisation.id);
  }
}
