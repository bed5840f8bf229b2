import type { Request } from 'express';
import type { Authenticator } from '../core/auth/authenticator';
import { maySeeContact, redactEmails } from '../core/authz/contact-details';
import type { AppServices } from '../core/context/app-services';
import type { RequestContext } from '../core/context/request-context';
import { badInput, notFound } from '../core/errors';
import { downloadRoute, type Download } from '../core/http/download-route';
import { isId } from '../core/ids';
import { AUDIT_KEY, auditLogWhere, EVENT_COLUMNS } from './audit-log.service';
import type { AuditFilter } from './audit.inputs';

/** Events read per statement while streaming (keyset batches: memory stays at one batch). */
export const AUDIT_EXPORT_BATCH_SIZE = 1000;

const COLUMNS = ['id', 'occurred_at', 'action', 'actor_user_id', 'actor_name', 'target_type', 'target_id', 'request_id', 'details'] as const;

/** The `auditLog(filter:)` fields, as query parameters (plus organisationId and format). */
const FILTERS = ['action', 'actorId', 'targetType', 'targetId', 'requestId', 'since', 'until'] as const;
const PARAMETERS = new Set<string>(['organisationId', 'format', ...FILTERS]);

/** The filter from the query string, with the input's limits (lengths); dates as ISO 8601. BAD_USER_INPUT otherwise. */
function filterFrom(request: Request): AuditFilter {
  const unknown = Object.keys(request.query).filter((name) => !PARAMETERS.has(name));
  if (unknown.length > 0) throw badInput(`Unknown parameters: ${unknown.join(', ')} (allowed: ${[...PARAMETERS].join(', ')})`, { field: unknown[0] });
  const filter: AuditFilter = {};
  for (const name of FILTERS) {
    const value = request.query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw badInput(`"${name}" must be given once`, { field: name });
    if (value.length > 200) throw badInput(`"${name}" is too long`, { field: name });
    if (name === 'since' || name === 'until') {
      const instant = new Date(value);
      if (value === '' || Number.isNaN(instant.getTime())) throw badInput(`"${name}" must be an ISO 8601 date-time`, { field: name });
      filter[name] = instant;
    } else filter[name] = value;
  }
  return filter;
}

/**
 * `GET /audit/export?organisationId=…&format=ndjson|csv` and the `auditLog` filters as query parameters
 * (action, actorId, targetType, targetId, requestId, since, until): the whole filtered log, newest first,
 * with the same bearer token and permission (audit:read) as `Organisation.auditLog`. An organisation where
 * the caller has no access is 404 like a missing one; a member without audit:read 403. Streamed in keyset
 * batches of {@link AUDIT_EXPORT_BATCH_SIZE} (the one paginator's `batches`); `details` with email addresses
 * hidden unless the caller holds members:read-contact, as in the API.
 */
export function auditExport(services: AppServices, authenticator: Authenticator) {
  return downloadRoute('audit export', services, authenticator, async (ctx, request) => openExport(services, ctx, request));
}

async function openExport(services: AppServices, ctx: RequestContext, request: Request): Promise<Download> {
  const { organisationId, format = 'ndjson' } = request.query;
  if (organisationId === undefined || organisationId === '') throw badInput('"organisationId" is required', { field: 'organisationId' });
  if (typeof organisationId !== 'string') throw badInput('"organisationId" must be given once', { field: 'organisationId' });
  if (format !== 'ndjson' && format !== 'csv') throw badInput('"format" must be ndjson or csv', { field: 'format' });
  const filter = filterFrom(request);
  // As the API: a malformed id names no organisation.
  if (!isId(organisationId)) throw notFound('Organisation');
  await ctx.requirePermission(organisationId, 'audit:read', 'Organisation');
  const { where, parameters } = auditLogWhere(organisationId, filter);
  const contact = (await maySeeContact(ctx, { scopes: [{ organisationId }] })) === true;
  const shown = (details: unknown) => (contact ? details : redactEmails(details)) ?? {};
  const batches = () =>
    services.paginator.batches<Record<string, any>>(
      { select: `${EVENT_COLUMNS}, u.display_name AS actor_name`, from: 'audit_events e LEFT JOIN users u ON u.id = e.actor_user_id', where, parameters, key: AUDIT_KEY, descending: true },
      AUDIT_EXPORT_BATCH_SIZE,
    );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    format,
    filename: `audit-${organisationId}-${stamp}.${format}`,
    columns: COLUMNS,
    async *records() {
      for await (const rows of batches()) {
        for (const row of rows) {
          const occurredAt = (row.occurred_at as Date).toISOString();
          if (format === 'csv') {
            yield [row.id, occurredAt, row.action, row.actor_user_id, row.actor_name, row.target_type, row.target_id, row.request_id, JSON.stringify(shown(row.details))];
          } else {
            yield {
              id: row.id,
              occurredAt,
              action: row.action,
              actor: row.actor_user_id ? { id: row.actor_user_id, displayName: row.actor_name ?? null } : null,
              targetType: row.target_type,
              targetId: row.target_id,
              requestId: row.request_id,
              details: shown(row.details),
            };
          }
        }
      }
    },
  };
}
