import { redactEmails } from '../core/authz/contact-details';

/** An event as stored. */
export interface StoredEvent {
  id: string;
  organisationId: string | null;
  /** Per organisation (or per the platform stream), from 1, without gaps. */
  sequence: number;
  type: string;
  subject: string;
  time: Date;
  data: Record<string, unknown>;
}

/** A CloudEvents 1.0 event in the structured JSON format, with the `sequence` extension. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** The CloudEvents sequence extension: a string that sorts like the number (zero-padded). */
  sequence: string;
  data: Record<string, unknown>;
}

const SEQUENCE_DIGITS = 20;

/** The event's source: its organisation, or the platform for events that belong to none. */
export function eventSource(organisationId: string | null): string {
  return organisationId ? `/organisations/${organisationId}` : '/platform';
}

/** The data as a reader who may not see email addresses gets it. */
export function dataFor(event: StoredEvent, includeEmails: boolean): Record<string, unknown> {
  return includeEmails ? event.data : (redactEmails(event.data) as Record<string, unknown>);
}

/**
 * The envelope webhooks receive. Email addresses in `data` are hidden unless the subscription may
 * read them (`includeEmails`, which needs members:read-contact).
 */
export function toCloudEvent(event: StoredEvent, includeEmails: boolean): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: eventSource(event.organisationId),
    type: event.type,
    subject: event.subject,
    time: event.time.toISOString(),
    datacontenttype: 'application/json',
    sequence: String(event.sequence).padStart(SEQUENCE_DIGITS, '0'),
    data: dataFor(event, includeEmails),
  };
}

/** A row read with EVENT_COLUMNS as an event. */
export function eventFromRow(row: Record<string, any>): StoredEvent {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    sequence: Number(row.sequence),
    type: row.type,
    subject: row.subject,
    time: row.time,
    data: row.data ?? {},
  };
}
