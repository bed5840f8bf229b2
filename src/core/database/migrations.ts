import { InitialModel1763800000000 } from '../../../migrations/1763800000000-InitialModel';
import { MemberSearchIndexes1763800000001 } from '../../../migrations/1763800000001-MemberSearchIndexes';
import { EmailOutbox1763800000002 } from '../../../migrations/1763800000002-EmailOutbox';
import { CursorKey1764100000000 } from '../../../migrations/1764100000000-CursorKey';
import { AuditLogImmutable1764100000001 } from '../../../migrations/1764100000001-AuditLogImmutable';
import { OrganisationDomains1764200000000 } from '../../../migrations/1764200000000-OrganisationDomains';
import { DomainEvents1764300000000 } from '../../../migrations/1764300000000-DomainEvents';
import { Webhooks1764300000001 } from '../../../migrations/1764300000001-Webhooks';
import { ShardingReadyKeys1764800000000 } from '../../../migrations/1764800000000-ShardingReadyKeys';
import { ScaleOut1764800000001 } from '../../../migrations/1764800000001-ScaleOut';
import { ReviewCampaigns1765000000000 } from '../../../migrations/1765000000000-ReviewCampaigns';
import { TimeBoundAccess1765500000000 } from '../../../migrations/1765500000000-TimeBoundAccess';
import { MfaPolicy1765200000000 } from '../../../migrations/1765200000000-MfaPolicy';
import { OrganisationLifecycle1765300000000 } from '../../../migrations/1765300000000-OrganisationLifecycle';
import { AuditTrailInvitees1765400000000 } from '../../../migrations/1765400000000-AuditTrailInvitees';

/** Every migration, oldest first. Listed explicitly so the same list serves ts and compiled js. */
export const migrations = [
  InitialModel1763800000000,
  MemberSearchIndexes1763800000001,
  EmailOutbox1763800000002,
  CursorKey1764100000000,
  AuditLogImmutable1764100000001,
  OrganisationDomains1764200000000,
  DomainEvents1764300000000,
  Webhooks1764300000001,
  ShardingReadyKeys1764800000000,
  ScaleOut1764800000001,
  ReviewCampaigns1765000000000,
  MfaPolicy1765200000000,
  OrganisationLifecycle1765300000000,
  AuditTrailInvitees1765400000000,
  TimeBoundAccess1765500000000,
];
