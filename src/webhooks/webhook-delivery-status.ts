import { registerEnumType } from 'type-graphql';

export enum WebhookDeliveryStatus {
  /** Waiting for its turn or its time (or being sent now). */
  PENDING = 'PENDING',
  /** The endpoint answered 2xx. */
  SUCCEEDED = 'SUCCEEDED',
  /** No 2xx answer; `nextAttemptAt` says when the next attempt is, null when none will be. */
  FAILED = 'FAILED',
}

registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus', description: 'Outcome of one delivery attempt' });
