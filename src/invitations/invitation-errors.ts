import { AppError, ErrorCode } from '../core/errors';

/** Why an invitation operation was refused, in `extensions.reason` beside the code. */
export enum InvitationRefusal {
  EMAIL_NOT_VERIFIED = 'EMAIL_NOT_VERIFIED',
  EMAIL_MISMATCH = 'EMAIL_MISMATCH',
  EMAIL_DOMAIN_NOT_ALLOWED = 'EMAIL_DOMAIN_NOT_ALLOWED',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
  ALREADY_ACCEPTED = 'ALREADY_ACCEPTED',
  ALREADY_MEMBER = 'ALREADY_MEMBER',
  PENDING_INVITATION = 'PENDING_INVITATION',
}

export function invitationConflict(reason: InvitationRefusal, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError(ErrorCode.CONFLICT, message, { reason, ...details });
}

export function invitationForbidden(reason: InvitationRefusal, message: string): AppError {
  return new AppError(ErrorCode.FORBIDDEN, message, { reason });
}

/** CONFLICT for an invitation that is no longer pending (accepted or cancelled). */
export function notPending(status: string): AppError {
  return status === 'ACCEPTED'
    ? invitationConflict(InvitationRefusal.ALREADY_ACCEPTED, 'This invitation has already been accepted')
    : invitationConflict(InvitationRefusal.CANCELLED, 'This invitation was cancelled');
}
