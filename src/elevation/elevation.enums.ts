import { registerEnumType } from 'type-graphql';

export enum ElevationStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  DENIED = 'DENIED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(ElevationStatus, {
  name: 'ElevationStatus',
  description: 'Where an elevation request stands',
  valuesConfig: {
    PENDING: { description: 'Waiting for an approver' },
    APPROVED: { description: 'Granted: the role is held until expiresAt' },
    DENIED: { description: 'Refused by an approver' },
    CANCELLED: { description: 'Withdrawn by the requester' },
    EXPIRED: { description: 'Nobody decided in time (ELEVATION_REQUEST_PENDING_HOURS)' },
  },
});
