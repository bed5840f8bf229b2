import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { badInput, conflict, forbidden, notFound } from '../core/errors';
import { validTypes } from '../events/event-feed.service';
import { requireManageableEndpoint, requireWebhookScope } from './webhook-access';
import { newSigningSecret, type SecretSealer } from './webhook-secret';
import { assertDeliverableUrl, UrlRefused, type UrlPolicy } from './webhook-url-policy';
import type { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './webhook.inputs';
import { ENDPOINT_COLUMNS, endpointFromRow, type WebhookEndpointView } from './webhook.rows';

/** Endpoints per organisation (and platform-wide): a limit that fails closed. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

/** How long the previous secret keeps signing after a rotation, so receivers can switch without losing a delivery. */
export const SECRET_OVERLAP_HOURS = 24;

/** What the caller gets back, once: the secret is never readable again. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpointView;
  secret: string;
}

/**
 * Webhook endpoints: registered by an organisation (webhooks:manage) or, platform-wide, by platform
 * administrators; every change audited in its transaction.
 */
export class WebhookEndpointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly policy: UrlPolicy,
    private readonly sealer: SecretSealer,
  ) {}

  /** An organisation's endpoints (or, with null, the platform-wide ones), oldest first. */
  async list(ctx: RequestContext, organisationId: string | null): Promise<WebhookEndpointView[]> {
    await requireWebhookScope(ctx, organisationId);
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.organisation_id IS NOT DISTINCT FROM $1::uuid ORDER BY w.created_at, w.id`,
      [organisationId],
    );
    return rows.map((row) => {
      const endpoint = endpointFromRow(row);
      ctx.loaders.webhookEndpointById.prime(endpoint.id, endpoint);
      return endpoint;
    });
  }

  async create(ctx: RequestContext, input: CreateWebhookEndpointInput): Promise<EndpointWithSecret> {
    const organisationId = input.organisationId ?? null;
    await requireWebhookScope(ctx, organisationId);
    const url = await this.validUrl(input.url);
    const eventTypes = validTypes(input.eventTypes, 'eventTypes') ?? [];
    const description = validDescription(input.description);
    const includeEmails = await this.validIncludeEmails(ctx, organisationId, input.includeEmails);
    const secret = newSigningSecret();
    const endpoint = await runTransaction(this.dataSource, async (manager) => {
      await assertRoomFor(manager, organisationId);
      const [row] = await manager.query(
        `INSERT INTO webhook_endpoints AS w (organisation_id, url, event_types, description, include_emails, secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
        [organisationId, url, eventTypes, description, includeEmails, this.sealer.seal(secret), ctx.userId],
      );
      const created = endpointFromRow(row);
      await this.audit.record(manager, ctx, {
        organisationId,
        action: 'webhook.endpoint-created',
        targetType: 'WebhookEndpoint',
        targetId: created.id,
        details: { url, eventTypes, description, includeEmails },
      });
      return created;
    });
    ctx.loaders.webhookEndpointById.prime(endpoint.id, endpoint);
    return { endpoint, secret };
  }

  /** Changes what is given; enabling a disabled endpoint resumes its waiting deliveries at once. */
  async update(ctx: RequestContext, id: string, input: UpdateWebhookEndpointInput): Promise<WebhookEndpointView> {
    const found = await requireManageableEndpoint(ctx, id);
    const changes: Partial<Pick<WebhookEndpointView, 'url' | 'eventTypes' | 'description' | 'enabled' | 'includeEmails'>> = {};
    if (input.url !== undefined && input.url !== null) changes.url = await this.validUrl(input.url);
    if (input.eventTypes !== undefined && input.eventTypes !== null) changes.eventTypes = validTypes(input.eventTypes, 'eventTypes') ?? [];
    if (input.description !== undefined && input.description !== null) changes.description = validDescription(input.description);
    if (input.enabled !== undefined && input.enabled !== null) changes.enabled = input.enabled;
    if (input.includeEmails !== undefined && input.includeEmails !== null) changes.includeEmails = await this.validIncludeEmails(ctx, found.organisationId, input.includeEmails);
    const endpoint = await runTransaction(this.dataSource, async (manager) => {
      const current = await lockEndpoint(manager, found.id);
      const changed = (Object.keys(changes) as (keyof typeof changes)[]).filter((key) => JSON.stringify(changes[key]) !== JSON.stringify(current[key]));
      if (changed.length === 0) return current; // nothing to change: nothing written
      const next = { ...current, ...changes };
      const resumed = !current.enabled && next.enabled;
      const [row] = await manager.query(
        `WITH updated AS (
           UPDATE webhook_endpoints w SET url = $2, event_types = $3, description = $4, enabled = $5, include_emails = $6,
             disabled_reason = CASE WHEN $5 THEN NULL ELSE w.disabled_reason END, updated_at = now()
           WHERE w.id = $1 RETURNING ${ENDPOINT_COLUMNS})
         SELECT * FROM updated`,
        [found.id, next.url, next.eventTypes, next.description, next.enabled, next.includeEmails],
      );
      // Deliveries that waited while it was disabled go now, with a fresh retry window.
      if (resumed) {
        await manager.query(`UPDATE webhook_deliveries SET next_attempt_at = now(), first_attempted_at = NULL WHERE endpoint_id = $1 AND status = 'PENDING'`, [found.id]);
      }
      await this.audit.record(manager, ctx, {
        organisationId: current.organisationId,
        action: 'webhook.endpoint-updated',
        targetType: 'WebhookEndpoint',
        targetId: found.id,
        details: { before: Object.fromEntries(changed.map((key) => [key, current[key]])), after: Object.fromEntries(changed.map((key) => [key, next[key]])) },
      });
      return endpointFromRow(row);
    });
    ctx.loaders.webhookEndpointById.clear(id).prime(id, endpoint);
    return endpoint;
  }

  /** Deletes the endpoint with its deliveries (the events stay in the feed). */
  async delete(ctx: RequestContext, id: string): Promise<boolean> {
    const found = await requireManageableEndpoint(ctx, id);
    await runTransaction(this.dataSource, async (manager) => {
      const current = await lockEndpoint(manager, found.id);
      await manager.query('DELETE FROM webhook_deliveries WHERE endpoint_id = $1', [found.id]);
      await manager.query('DELETE FROM webhook_endpoints WHERE id = $1', [found.id]);
      await this.audit.record(manager, ctx, {
        organisationId: current.organisationId,
        action: 'webhook.endpoint-deleted',
        targetType: 'WebhookEndpoint',
        targetId: found.id,
        details: { url: current.url, eventTypes: current.eventTypes, description: current.description },
      });
    });
    ctx.loaders.webhookEndpointById.clear(id);
    return true;
  }

  /**
   * A new secret, returned once. The previous one keeps signing beside it (two signatures in
   * webhook-signature) for SECRET_OVERLAP_HOURS; a secret rotated out earlier stops at once.
   */
  async rotateSecret(ctx: RequestContext, id: string): Promise<EndpointWithSecret> {
    const found = await requireManageableEndpoint(ctx, id);
    const secret = newSigningSecret();
    const endpoint = await runTransaction(this.dataSource, async (manager) => {
      await lockEndpoint(manager, found.id);
      const [row] = await manager.query(
        `WITH rotated AS (
           UPDATE webhook_endpoints w SET previous_secret = w.secret, previous_secret_expires_at = now() + make_interval(hours => $3),
             secret = $2, updated_at = now()
           WHERE w.id = $1 RETURNING ${ENDPOINT_COLUMNS}, w.previous_secret_expires_at)
         SELECT * FROM rotated`,
        [found.id, this.sealer.seal(secret), SECRET_OVERLAP_HOURS],
      );
      await this.audit.record(manager, ctx, {
        organisationId: found.organisationId,
        action: 'webhook.secret-rotated',
        targetType: 'WebhookEndpoint',
        targetId: found.id,
        details: { previousSecretValidUntil: (row.previous_secret_expires_at as Date).toISOString() },
      });
      return endpointFromRow(row);
    });
    ctx.loaders.webhookEndpointById.clear(id).prime(id, endpoint);
    return { endpoint, secret };
  }

  private async validUrl(raw: string): Promise<string> {
    try {
      return (await assertDeliverableUrl(raw, this.policy)).toString();
    } catch (error) {
      if (error instanceof UrlRefused) throw badInput(error.message, { field: 'url' });
      throw error;
    }
  }

  /** Email addresses only to organisations' endpoints, set by someone who may read them. */
  private async validIncludeEmails(ctx: RequestContext, organisationId: string | null, includeEmails: boolean | null | undefined): Promise<boolean> {
    if (!includeEmails) return false;
    if (organisationId === null) throw badInput('Platform-wide endpoints never receive email addresses', { field: 'includeEmails' });
    if (!(await ctx.access(organisationId)).has('members:read-contact')) {
      throw forbidden("Only someone who may read members' email addresses (members:read-contact) can send them to an endpoint");
    }
    return true;
  }
}

function validDescription(description: string | null | undefined): string {
  const trimmed = (description ?? '').trim();
  // PostgreSQL text cannot hold NUL; other control characters have no place in a description either.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(trimmed)) throw badInput('The description holds control characters', { field: 'description' });
  return trimmed;
}

/** Endpoints of one scope are counted under a per-scope lock, so two creations cannot pass the limit together. */
async function assertRoomFor(manager: EntityManager, organisationId: string | null): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`webhook-endpoints:${organisationId ?? 'platform'}`]);
  const [{ count }] = await manager.query('SELECT count(*)::int AS count FROM webhook_endpoints WHERE organisation_id IS NOT DISTINCT FROM $1::uuid', [organisationId]);
  if (count >= MAX_WEBHOOK_ENDPOINTS) throw conflict(`At most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints per organisation: delete one first`);
}

async function lockEndpoint(manager: EntityManager, id: string): Promise<WebhookEndpointView> {
  const [row] = await manager.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.id = $1 FOR UPDATE`, [id]);
  if (!row) throw notFound('WebhookEndpoint'); // deleted meanwhile
  return endpointFromRow(row);
}
