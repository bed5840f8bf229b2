import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { insertMany } from '../core/database/bulk-insert';
import { currentRequestScope } from '../core/context/request-scope';

export interface AuditRecord {
  organisationId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
  /** Defaults to the request's principal. */
  actorUserId?: string | null;
}

/** Writes audit events inside the caller's transaction, so an event exists exactly when its change does. */
export class AuditService {
  async record(manager: EntityManager, ctx: RequestContext | null, record: AuditRecord): Promise<void> {
    await this.recordMany(manager, ctx, [record]);
  }

  /**
   * Many events in one statement (bulk operations: one event per changed object, not one statement
   * each), one array parameter per column whatever the number of events.
   */
  async recordMany(manager: EntityManager, ctx: RequestContext | null, records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const column = <T>(value: (record: AuditRecord) => T) => records.map(value);
    await insertMany(manager, 'audit_events', [
      { name: 'organisation_id', type: 'uuid', values: column((record) => record.organisationId) },
      { name: 'actor_user_id', type: 'uuid', values: column((record) => (record.actorUserId !== undefined ? record.actorUserId : (ctx?.userId ?? null))) },
      { name: 'action', type: 'text', values: column((record) => record.action) },
      { name: 'target_type', type: 'text', values: column((record) => record.targetType) },
      { name: 'target_id', type: 'text', values: column((record) => record.targetId) },
      { name: 'details', type: 'jsonb', values: column((record) => JSON.stringify(record.details ?? {})) },
      // Work done outside a request context (sign-in provisioning) still carries the HTTP request's id.
      { name: 'request_id', type: 'text', value: ctx?.requestId ?? currentRequestScope()?.requestId ?? null },
    ]);
  }
}
