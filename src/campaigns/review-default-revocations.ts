import type { EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import { membershipSnapshots } from '../access/access-snapshot.loader';
import type { RequestContext } from '../core/context/request-context';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { revocationRefusal, type GrantRevocation, type RoleAssignmentService } from '../memberships/role-assignment.service';
import { placeRemovalRefusal, type PlaceRemoval, type TeamMembershipService } from '../teams/team-membership.service';
import { ReviewDecision, ReviewItemKind, ReviewItemOutcome } from './review-campaign.enums';
import { RECORD_OUTCOMES, SELECT_OWNER_HOLDINGS, SELECT_UNDECIDED_FOR_UPDATE } from './review-campaign.queries';
import type { ReviewCampaignView } from './review-campaign.rows';

export interface UndecidedRow {
  id: string;
  kind: ReviewItemKind;
  membership_id: string | null;
  role_id: string | null;
  team_id: string | null;
  reviewer_membership_id: string | null;
  built_in_key: string | null;
  team_grants_owner: boolean;
}

export interface DefaultRevocationCounts {
  revoked: number;
  alreadyRemoved: number;
  refused: number;
  refusedItemIds: string[];
}

export type OwnerHoldings = Map<string, { direct: boolean; teams: Set<string> }>;

const LAST_OWNER = 'The organisation must keep at least one active Owner';

/**
 * Removes the grant in memory if an active Owner would remain (the member through another path, or
 * someone else); answers whether it did. Exact while the organisation is locked (nothing else changes it).
 */
export function removeIfAnOwnerRemains(holdings: OwnerHoldings, row: UndecidedRow): boolean {
  const holding = row.membership_id ? holdings.get(row.membership_id) : undefined;
  if (!holding) return true; // not an active Owner: removing it takes no Owner away
  const teams = new Set(holding.teams);
  const direct = row.kind === ReviewItemKind.ROLE ? false : holding.direct;
  if (row.kind === ReviewItemKind.TEAM_PLACE) teams.delete(row.team_id as string);
  const othersHold = [...holdings].some(([id, other]) => id !== row.membership_id && (other.direct || other.teams.size > 0));
  if (!direct && teams.size === 0 && !othersHold) return false;
  holdings.set(row.membership_id as string, { direct, teams });
  return true;
}

type Outcome = { decision: ReviewDecision | null; outcome: ReviewItemOutcome; reason: string | null };

interface Plan {
  outcomes: Map<string, Outcome>;
  revocations: (GrantRevocation & { itemId: string })[];
  removals: (PlaceRemoval & { itemId: string })[];
}

const touchesOwner = (row: UndecidedRow) => (row.kind === ReviewItemKind.ROLE ? row.built_in_key === 'owner' : row.team_grants_owner);

/** Why the default REVOKE of this item cannot apply (null: it can; the Owner holdings then assume it did). */
function refusalOf(row: UndecidedRow, authority: AccessSnapshot | undefined, holdings: OwnerHoldings): string | null {
  if (!authority) return 'The campaign has no owner to apply it';
  const rule = row.kind === ReviewItemKind.ROLE ? revocationRefusal(authority, { builtInKey: row.built_in_key }) : placeRemovalRefusal(authority, row.team_id as string, row.team_grants_owner);
  if (rule) return rule.message;
  return touchesOwner(row) && !removeIfAnOwnerRemains(holdings, row) ? LAST_OWNER : null;
}

/** Sorts the undecided items, in order: already gone, refused (with why), or to revoke through a service. */
function plan(rows: UndecidedRow[], campaign: ReviewCampaignView, authorities: Map<string, AccessSnapshot>, holdings: OwnerHoldings): Plan {
  const result: Plan = { outcomes: new Map(), revocations: [], removals: [] };
  for (const row of rows) {
    const target = row.kind === ReviewItemKind.ROLE ? row.role_id : row.team_id;
    if (!row.membership_id || !target) {
      result.outcomes.set(row.id, { decision: ReviewDecision.REVOKE, outcome: ReviewItemOutcome.ALREADY_REMOVED, reason: null });
      continue;
    }
    const authority = authorities.get(row.reviewer_membership_id ?? campaign.ownerMembershipId ?? '');
    const refusal = refusalOf(row, authority, holdings);
    if (refusal !== null || !authority) result.outcomes.set(row.id, { decision: null, outcome: ReviewItemOutcome.REVOKE_REFUSED, reason: refusal });
    else if (row.kind === ReviewItemKind.ROLE) result.revocations.push({ itemId: row.id, membershipId: row.membership_id, roleId: target, authority });
    else result.removals.push({ itemId: row.id, membershipId: row.membership_id, teamId: target, authority });
  }
  return result;
}

async function loadOwnerHoldings(manager: EntityManager, organisationId: string): Promise<OwnerHoldings> {
  const held: { membership_id: string; direct: boolean; team_ids: string[] }[] = await manager.query(SELECT_OWNER_HOLDINGS, [organisationId]);
  return new Map(held.map((row) => [row.membership_id, { direct: row.direct, teams: new Set(row.team_ids) }]));
}

const revokedOutcome = (gone: boolean): Outcome => ({ decision: ReviewDecision.REVOKE, outcome: gone ? ReviewItemOutcome.REVOKED : ReviewItemOutcome.ALREADY_REMOVED, reason: null });

/**
 * A campaign's default REVOKE applied to its undecided items, inside the closing transaction (the
 * organisation locked first): each revoke as if the item's reviewer decided it (their permissions now;
 * the campaign owner's for items nobody was assigned), through the role-assignment and team-membership
 * services. What a rule refuses (the reviewer may not remove it, or it would take the last active Owner
 * away) is recorded REVOKE_REFUSED with the reason, and access stays. A constant number of statements
 * whatever the number of items.
 */
export async function applyDefaultRevocations(
  manager: EntityManager,
  ctx: RequestContext | null,
  campaign: ReviewCampaignView,
  services: { catalogue: PermissionCatalogue; roleAssignment: RoleAssignmentService; teamMembers: TeamMembershipService },
): Promise<DefaultRevocationCounts> {
  const rows: UndecidedRow[] = await manager.query(SELECT_UNDECIDED_FOR_UPDATE, [campaign.id]);
  if (rows.length === 0) return { revoked: 0, alreadyRemoved: 0, refused: 0, refusedItemIds: [] };
  const authorityIds = [...new Set([...rows.map((row) => row.reviewer_membership_id), campaign.ownerMembershipId].filter((id): id is string => id !== null))];
  const authorities = authorityIds.length > 0 ? await membershipSnapshots(manager, services.catalogue, 'SELECT unnest($1::uuid[])', [authorityIds]) : new Map<string, AccessSnapshot>();
  const holdings = rows.some(touchesOwner) ? await loadOwnerHoldings(manager, campaign.organisationId) : new Map();
  const { outcomes, revocations, removals } = plan(rows, campaign, authorities, holdings);

  const details = { via: 'access-review', campaignId: campaign.id, byDefault: true };
  const revoked = new Set((await services.roleAssignment.revokeGrants(manager, ctx, campaign.organisationId, revocations, details)).map((link) => `${link.membershipId}/${link.roleId}`));
  const removed = new Set((await services.teamMembers.removePlaces(manager, ctx, campaign.organisationId, removals, details)).map((place) => `${place.membershipId}/${place.teamId}`));
  for (const { itemId, membershipId, roleId } of revocations) outcomes.set(itemId, revokedOutcome(revoked.has(`${membershipId}/${roleId}`)));
  for (const { itemId, membershipId, teamId } of removals) outcomes.set(itemId, revokedOutcome(removed.has(`${membershipId}/${teamId}`)));

  const entries = [...outcomes];
  await manager.query(RECORD_OUTCOMES, [
    campaign.id,
    entries.map(([id]) => id),
    entries.map(([, value]) => value.decision),
    entries.map(([, value]) => value.outcome),
    entries.map(([, value]) => value.reason),
  ]);
  const count = (outcome: ReviewItemOutcome) => entries.filter(([, value]) => value.outcome === outcome).length;
  const refusedItemIds = entries.filter(([, value]) => value.outcome === ReviewItemOutcome.REVOKE_REFUSED).map(([id]) => id);
  return { revoked: count(ReviewItemOutcome.REVOKED), alreadyRemoved: count(ReviewItemOutcome.ALREADY_REMOVED), refused: refusedItemIds.length, refusedItemIds };
}
