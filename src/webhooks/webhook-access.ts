import type { RequestContext } from '../core/context/request-context';
import { forbidden, notFound } from '../core/errors';
import { isId } from '../core/ids';
import type { WebhookEndpointView } from './webhook.rows';

/**
 * May the caller manage webhooks of this scope: webhooks:manage in the organisation (NOT_FOUND where
 * they have no access at all, FORBIDDEN otherwise), or, for platform-wide endpoints (null), be a
 * platform administrator.
 */
export async function requireWebhookScope(ctx: RequestContext, organisationId: string | null, what = 'Organisation'): Promise<void> {
  const principal = ctx.requirePrincipal();
  if (organisationId === null) {
    if (!principal.isPlatformAdmin) throw forbidden('Only platform administrators manage platform-wide webhook endpoints');
    return;
  }
  if (!isId(organisationId)) throw notFound(what);
  await ctx.requirePermission(organisationId, 'webhooks:manage', what);
}

/** An endpoint the caller may manage; one they may not looks like none at all (NOT_FOUND). */
export async function requireManageableEndpoint(ctx: RequestContext, id: string): Promise<WebhookEndpointView> {
  ctx.requirePrincipal();
  const endpoint = isId(id) ? await ctx.loaders.webhookEndpointById.load(id) : null;
  if (!endpoint) throw notFound('WebhookEndpoint');
  if (endpoint.organisationId === null && !ctx.isPlatformAdmin) throw notFound('WebhookEndpoint');
  await requireWebhookScope(ctx, endpoint.organisationId, 'WebhookEndpoint');
  return endpoint;
}
