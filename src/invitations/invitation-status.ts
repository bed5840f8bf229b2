/** Stored invitation states; EXPIRED is derived from `expiresAt` when read. */
export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}

/** The status as clients see it: a stored PENDING past its expiry is EXPIRED, whether or not anything swept it. */
export function effectiveStatus(invitation: { status: InvitationStatus; expiresAt: Date }, now: Date = new Date()): InvitationStatus {
  if (invitation.status === InvitationStatus.PENDING && invitation.expiresAt.getTime() <= now.getTime()) return InvitationStatus.EXPIRED;
  return invitation.status;
}
