import { allow } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, holdsOnParent, isPlatformAdmin, withAccess } from '../core/authz/common-rules';
import { fieldRule, objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { requireManageableEndpoint, requireWebhookScope } from './webhook-access';

/** webhooks:manage in the object's organisation; platform-wide ones (null) are for platform administrators. */
const managesWebhooksOf = objectRule('managesWebhooksOf', (object: { organisationId: string | null }, ctx: RequestContext) => {
  if (object.organisationId === null) return ctx.isPlatformAdmin;
  return withAccess(ctx, object.organisationId, (snapshot) => decidePermission(snapshot, 'webhooks:manage'));
});

const settle = (work: Promise<unknown>) => work.then(() => true, (error: Error) => error);

/** createWebhookEndpoint: webhooks:manage in input.organisationId, or a platform administrator for platform-wide ones. */
const managesWebhookScope = fieldRule('managesWebhookScope', (_parent, args: { input?: { organisationId?: string | null } }, ctx: RequestContext) =>
  settle(requireWebhookScope(ctx, args.input?.organisationId ?? null)),
);

/** The endpoint named by `argument` is the caller's to manage (loaded; NOT_FOUND when it is not). */
function managesEndpointIn(argument: string) {
  return fieldRule(`managesWebhookEndpoint:${argument}`, (_parent, args: Record<string, string>, ctx: RequestContext) =>
    settle(requireManageableEndpoint(ctx, args[argument])),
  );
}

const managesEndpointById = managesEndpointIn('id');

export const webhookRules: RuleMap = {
  Query: {
    platformWebhookEndpoints: isPlatformAdmin,
  },
  Mutation: {
    // The services check the same again (and what rules cannot see: the URL, includeEmails).
    createWebhookEndpoint: managesWebhookScope,
    updateWebhookEndpoint: managesEndpointById,
    deleteWebhookEndpoint: managesEndpointById,
    rotateWebhookSecret: managesEndpointById,
    redeliverEvent: managesEndpointIn('endpointId'),
  },
  Organisation: {
    webhookEndpoints: holdsOnParent('webhooks:manage', 'id'),
  },
  WebhookEndpoint: { '*': managesWebhooksOf },
  WebhookDelivery: { '*': managesWebhooksOf },
  // Only the mutation that authorised the change returns it; the endpoint inside keeps its own rule.
  WebhookEndpointSecretPayload: { '*': allow },
  WebhookDeliveryConnection: { '*': allow },
  WebhookDeliveryEdge: { '*': allow },
};
