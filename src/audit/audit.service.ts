import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { AuditEventEntity } from './audit-event.entity';

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

  /** Many events in one statement (bulk operations: one event per changed object, not one statement each). */
  async recordMany(manager: EntityManager, ctx: RequestContext | null, records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const events = records.map((record) =>
      manager.create(AuditEventEntity, {
        organisationId: record.organisationId,
        actorUserId: record.actorUserId !== undefined ? record.actorUserId : (ctx?.userId ?? null),
        action: record.action,
        targetType: record.targetType,
        targetId: record.targetId,
        details: record.details ?? {},
        requestId: ctx?.requestId ?? null,
      }),
    );
    // save, not insert: typeorm's insert types reject a jsonb record. 7 bind parameters per event;
    // PostgreSQL takes at most 65,535 in one statement.
    await manager.save(AuditEventEntity, events, { chunk: 9000 });
  }
}
