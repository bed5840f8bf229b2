/**
 * Every domain event type, as clients and webhook subscriptions name them. One event per fact, per
 * affected object; the README's "Domain events" table says what each carries.
 */
export const DOMAIN_EVENT_TYPES = [
  'organisation.created',
  'organisation.updated',
  'organisation.suspended',
  'organisation.reactivated',
  'organisation.deleted',
  'organisation.purged',
  'organisation.owner_appointed',
  'organisation.ownership_transferred',
  'membership.created',
  'membership.approved',
  'membership.deactivated',
  'membership.reactivated',
  'membership.removed',
  'membership.roles_changed',
  'team.created',
  'team.updated',
  'team.deleted',
  'team.member_added',
  'team.member_removed',
  'team.member_role_changed',
  'team.roles_changed',
  'role.created',
  'role.updated',
  'role.deleted',
  'invitation.created',
  'invitation.resent',
  'invitation.cancelled',
  'invitation.accepted',
  'invitation.expired',
  'user.signed_in',
  'user.updated',
  'user.erased',
  'webhook_endpoint.disabled',
  'review_campaign.created',
  'review_campaign.closed',
  'review_item.decided',
] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

const KNOWN = new Set<string>(DOMAIN_EVENT_TYPES);

export function isDomainEventType(value: string): value is DomainEventType {
  return KNOWN.has(value);
}

// The CloudEvents `subject`: the collection of the object the event is about, then its id.
const SUBJECT_COLLECTIONS: Record<string, string> = {
  organisation: 'organisations',
  membership: 'memberships',
  team: 'teams',
  role: 'roles',
  invitation: 'invitations',
  user: 'users',
  webhook_endpoint: 'webhook-endpoints',
  review_campaign: 'review-campaigns',
  review_item: 'review-items',
};

/** `memberships/<id>` for a `membership.*` event about membership `<id>`. */
export function eventSubject(type: DomainEventType, objectId: string): string {
  return `${SUBJECT_COLLECTIONS[type.slice(0, type.indexOf('.'))]}/${objectId}`;
}
