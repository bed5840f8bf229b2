/** Lifecycle of an organisation (platform administrators move it; the purge sweeper ends it). */
export enum OrganisationStatus {
  ACTIVE = 'ACTIVE',
  /** Members are refused (FORBIDDEN, reason ORGANISATION_SUSPENDED) until it is reactivated; nothing is lost. */
  SUSPENDED = 'SUSPENDED',
  /** Soft-deleted: members are refused (reason ORGANISATION_DELETED); reactivatable until purged. */
  DELETED = 'DELETED',
  /** Its contents are gone; the row stays, pseudonymised, for the audit trail that names it. */
  PURGED = 'PURGED',
}

/** `extensions.reason` of the FORBIDDEN a member of a suspended or deleted organisation gets. */
export type OrganisationRefusal = 'ORGANISATION_SUSPENDED' | 'ORGANISATION_DELETED';

export function organisationRefusal(status: string | null | undefined): OrganisationRefusal | null {
  if (status === OrganisationStatus.SUSPENDED) return 'ORGANISATION_SUSPENDED';
  if (status === OrganisationStatus.DELETED || status === OrganisationStatus.PURGED) return 'ORGANISATION_DELETED';
  return null;
}
