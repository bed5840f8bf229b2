import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import gql from 'graphql-tag';
import { buildSchema, createResolversMap } from 'type-graphql';
import { ViewerResolver } from '../../access/viewer.resolver';
import { InvitationMutationsResolver } from '../../invitations/invitation-mutations.resolver';
import { InvitationPreviewResolver, InvitationResolver, OrganisationInvitationsResolver, ViewerInvitationsResolver } from '../../invitations/invitation.resolver';
import { MemberImportResolver } from '../../memberships/import/member-import.resolver';
import { MembershipMutationsResolver } from '../../memberships/membership-mutations.resolver';
import { MembershipResolver } from '../../memberships/membership.resolver';
import { OrganisationMembersResolver } from '../../memberships/organisation-members.resolver';
import { TeamMutationsResolver } from '../../teams/team-mutations.resolver';
import { OrganisationTeamsResolver, TeamMembershipResolver, TeamResolver } from '../../teams/team.resolver';
import { OrganisationResolver } from '../../organisations/organisation.resolver';
import { OrganisationLifecycleResolver } from '../../organisations/organisation-lifecycle.resolver';
import { OrganisationRolesResolver, RoleResolver } from '../../roles/role.resolver';
import { UserResolver } from '../../users/user.resolver';
import { AccessQueriesResolver, AccessReviewResolver, ExpiringGrantResolver, OrganisationAccessReviewResolver } from '../../access/access-review.resolver';
import { AuditEventResolver, OrganisationAuditLogResolver } from '../../audit/audit-log.resolver';
import { OrganisationDomainResolver, OrganisationDomainsResolver } from '../../domains/organisation-domain.resolver';
import { EventConnectionResolver, EventResolver, OrganisationEventsResolver } from '../../events/event.resolver';
import { OrganisationWebhooksResolver, WebhookDeliveryResolver, WebhookEndpointResolver } from '../../webhooks/webhook.resolver';
import { OrganisationReviewCampaignsResolver, ReviewCampaignResolver } from '../../campaigns/review-campaign.resolver';
import { reviewCampaignReferenceResolvers } from '../../campaigns/review-campaign.reference';
import { ReviewItemResolver, ReviewScopeResolver } from '../../campaigns/review-item.resolver';
import { ElevationRequestResolver, OrganisationElevationRequestsResolver, ViewerElevationRequestsResolver } from '../../elevation/elevation.resolver';
import { applyRules } from '../authz/apply-rules';
import { ruleMap } from '../authz/rule-map';
import { referenceResolvers } from '../federation/reference-resolvers';

export const resolverClasses = [
  ViewerResolver,
  OrganisationResolver,
  OrganisationLifecycleResolver,
  OrganisationRolesResolver,
  OrganisationMembersResolver,
  OrganisationTeamsResolver,
  RoleResolver,
  MembershipResolver,
  MembershipMutationsResolver,
  MemberImportResolver,
  UserResolver,
  TeamResolver,
  TeamMembershipResolver,
  TeamMutationsResolver,
  InvitationResolver,
  InvitationMutationsResolver,
  OrganisationInvitationsResolver,
  InvitationPreviewResolver,
  ViewerInvitationsResolver,
  OrganisationAuditLogResolver,
  AuditEventResolver,
  OrganisationAccessReviewResolver,
  AccessReviewResolver,
  AccessQueriesResolver,
  ExpiringGrantResolver,
  OrganisationDomainResolver,
  OrganisationDomainsResolver,
  OrganisationEventsResolver,
  EventResolver,
  EventConnectionResolver,
  OrganisationWebhooksResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
  OrganisationReviewCampaignsResolver,
  ReviewCampaignResolver,
  ReviewItemResolver,
  ReviewScopeResolver,
  ElevationRequestResolver,
  OrganisationElevationRequestsResolver,
  ViewerElevationRequestsResolver,
] as const;

const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

function mergeResolvers(...maps: Record<string, any>[]): Record<string, any> {
  const merged: Record<string, any> = {};
  for (const map of maps) for (const [type, fields] of Object.entries(map)) merged[type] = { ...merged[type], ...fields };
  return merged;
}

/**
 * TypeGraphQL classes → printed SDL with directives → Federation 2 subgraph schema, then the rule map
 * applied to every field (deny fallback).
 */
export async function buildAppSchema(options: { rules?: boolean } = {}): Promise<GraphQLSchema> {
  const typeGraphQLSchema = await buildSchema({
    resolvers: [...resolverClasses],
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
    skipCheck: true,
  });
  const schema = buildSubgraphSchema([
    {
      typeDefs: gql`${FEDERATION_LINK}\n${printSchemaWithDirectives(typeGraphQLSchema)}`,
      resolvers: mergeResolvers(createResolversMap(typeGraphQLSchema) as Record<string, any>, referenceResolvers, reviewCampaignReferenceResolvers),
    },
  ]);
  return options.rules === false ? schema : applyRules(schema, ruleMap);
}

/** The subgraph SDL as the gateway sees it (committed under schema/). */
export async function printAppSchema(): Promise<string> {
  return printSubgraphSchema(await buildAppSchema({ rules: false }));
}
