import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { currentRequestScope } from '../core/context/request-scope';
import { beforeCommit } from '../core/database/transaction-hooks';
import { eventSubject, type DomainEventType } from './event-types';
import { INSERT_EVENTS } from './event.queries';

/** A fact to publish, as a service states it. */
export interface DomainEvent {
  /** null only for platform-level events (users). */
  organisationId: string | null;
  type: DomainEventType;
  /** The id of the object the event is about (its `subject` is derived from the type). */
  objectId: string;
  /** Ids and before/after; the organisation, actor and request id are added. */
  data: Record<string, unknown>;
  /** Defaults to the request's principal. */
  actorUserId?: string | null;
}

interface PendingEvent {
  organisationId: string | null;
  type: DomainEventType;
  subject: string;
  data: Record<string, unknown>;
}

const pending = new WeakMap<EntityManager, PendingEvent[]>();

/**
 * Publishes events with the change in progress: they are written in the caller's transaction (which
 * must come from runTransaction), as its last statement, so they exist exactly when the change commits
 * and a rolled-back change publishes nothing. Costs no statement here; the whole transaction's events
 * are written by one statement just before COMMIT.
 */
export function emitEvents(manager: EntityManager, ctx: RequestContext | null, events: readonly DomainEvent[]): void {
  if (events.length === 0) return;
  let buffer = pending.get(manager);
  if (!buffer) {
    const created: PendingEvent[] = [];
    beforeCommit(manager, 'domain-events', () => writeEvents(manager, created));
    pending.set(manager, created);
    buffer = created;
  }
  const requestId = ctx?.requestId ?? currentRequestScope()?.requestId ?? null;
  for (const event of events) {
    const actorUserId = event.actorUserId !== undefined ? event.actorUserId : (ctx?.userId ?? null);
    buffer.push({
      organisationId: event.organisationId,
      type: event.type,
      subject: eventSubject(event.type, event.objectId),
      data: { organisationId: event.organisationId, ...event.data, actor: actorUserId ? { userId: actorUserId } : null, requestId },
    });
  }
}

/** One event: see {@link emitEvents}. */
export function emitEvent(manager: EntityManager, ctx: RequestContext | null, event: DomainEvent): void {
  emitEvents(manager, ctx, [event]);
}

async function writeEvents(manager: EntityManager, events: PendingEvent[]): Promise<void> {
  pending.delete(manager);
  if (events.length > 0) await manager.query(INSERT_EVENTS, [JSON.stringify(events)]);
}
