import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import { ruleMap } from '../core/authz/rule-map';
import { AuditTarget, resolveAuditTarget } from './audit-target';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { UserType } from '../users/user.type';
import { GraphQLJSONObject } from 'graphql-scalars';
import { auditActorView, type AuditActorView } from './audit-actor';
import { withContactDetails } from '../core/authz/contact-details';
import { AuditEventConnection, AuditEventType, type AuditEventView } from './audit-event.type';
import { AuditFilter } from './audit.inputs';

@Resolver(() => OrganisationType)
export class OrganisationAuditLogResolver {
  @FieldResolver(() => AuditEventConnection, { nullable: true, description: 'audit:read. Newest first' })
  auditLog(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Args() page: PageArgs,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter,
  ): Promise<Connection<AuditEventView>> {
    return ctx.services.auditLog.list(ctx, organisation.id, { ...page, filter });
  }
}

@Resolver(() => AuditEventType)
export class AuditEventResolver {
  @FieldResolver(() => GraphQLJSONObject, { description: 'What changed, as recorded; email addresses hidden without members:read-contact' })
  details(@Ctx() ctx: RequestContext, @Root() event: AuditEventView): Promise<Record<string, unknown>> {
    // Events record ids, but older events and free text (names) may hold addresses: the contact rule decides.
    return withContactDetails(ctx, { scopes: [{ organisationId: event.organisationId }] }, event.details);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'Who acted: null for the system, or for a user since erased. Readers see at least id and displayName' })
  async actor(@Ctx() ctx: RequestContext, @Root() event: AuditEventView): Promise<AuditActorView | null> {
    if (!event.actorUserId) return null;
    const user = await ctx.loaders.userById.load(event.actorUserId);
    return user ? auditActorView(user, event) : null;
  }

  @FieldResolver(() => AuditTarget, {
    nullable: true,
    description: 'The object acted on, while it exists in this organisation and you may read it (its own rule decides); otherwise null, with no error',
  })
  target(@Ctx() ctx: RequestContext, @Root() event: AuditEventView, @Info() info: GraphQLResolveInfo): Promise<object | null> {
    return resolveAuditTarget(ctx, ruleMap, event, info);
  }
}
