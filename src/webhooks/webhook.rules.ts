import { allow } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, holdsOnParent, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';

/** webhooks:manage in the object's organisation; platform-wide ones (null) are for platform administrators. */
const managesWebhooksOf = objectRule('managesWebhooksOf', (object: { organisationId: string | null }, ctx: RequestContext) => {
  if (object.organisationId === null) return ctx.isPlatformAdmin;
  return withAccess(ctx, object.organisationId, (snapshot) => decidePermission(snapshot, 'webhooks:manage'));
});

export const webhookRules: RuleMap = {
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
