/** Lifecycle of a user inside one organisation. */
export enum MembershipStatus {
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  ACTIVE = 'ACTIVE',
  DEACTIVATED = 'DEACTIVATED',
}
