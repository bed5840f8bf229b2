import { WebhookDeliveryStatus } from './webhook-delivery-status';

/** A webhook endpoint as the API shows it (never its secrets). */
export interface WebhookEndpointView {
  id: string;
  /** null: platform-wide (every organisation's events and the platform-level ones). */
  organisationId: string | null;
  url: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
  includeEmails: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

/** One delivery attempt (or the next one, PENDING) of an event to an endpoint. */
export interface WebhookDeliveryView {
  id: string;
  /** Keyset order of an endpoint's attempts. */
  seq: number;
  endpointId: string;
  eventId: string;
  /** The endpoint's organisation (null: a platform-wide endpoint). */
  organisationId: string | null;
  attempt: number;
  status: WebhookDeliveryStatus;
  responseStatus: number | null;
  durationMs: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

export const ENDPOINT_COLUMNS = `w.id, w.organisation_id, w.url, w.event_types, w.description, w.enabled, w.include_emails, w.disabled_reason, w.created_at`;

export function endpointFromRow(row: Record<string, any>): WebhookEndpointView {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    url: row.url,
    eventTypes: row.event_types ?? [],
    description: row.description,
    enabled: row.enabled,
    includeEmails: row.include_emails,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
  };
}

export const DELIVERY_COLUMNS = `d.id, d.seq::text AS seq, d.endpoint_id, d.event_id, d.organisation_id, d.attempt, d.status, d.response_status, d.duration_ms, d.error, d.next_attempt_at, d.created_at`;

export function deliveryFromRow(row: Record<string, any>): WebhookDeliveryView {
  return {
    id: row.id,
    seq: Number(row.seq),
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    organisationId: row.organisation_id,
    attempt: row.attempt,
    status: row.status,
    responseStatus: row.response_status,
    durationMs: row.duration_ms,
    error: row.error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
}
