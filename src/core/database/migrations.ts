import { InitialModel1763800000000 } from '../../../migrations/1763800000000-InitialModel';
import { MemberSearchIndexes1763800000001 } from '../../../migrations/1763800000001-MemberSearchIndexes';
import { EmailOutbox1763800000002 } from '../../../migrations/1763800000002-EmailOutbox';
import { DomainEvents1764300000000 } from '../../../migrations/1764300000000-DomainEvents';
import { Webhooks1764300000001 } from '../../../migrations/1764300000001-Webhooks';

/** Every migration, oldest first. Listed explicitly so the same list serves ts and compiled js. */
export const migrations = [InitialModel1763800000000, MemberSearchIndexes1763800000001, EmailOutbox1763800000002, DomainEvents1764300000000, Webhooks1764300000001];
