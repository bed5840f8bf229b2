import { ReviewItemKind } from './review-campaign.enums';
import { removeIfAnOwnerRemains, type OwnerHoldings, type UndecidedRow } from './review-default-revocations';

const row = (membershipId: string, kind: ReviewItemKind, teamId: string | null = null): UndecidedRow => ({
  id: `${membershipId}-${teamId ?? 'role'}`,
  kind,
  membership_id: membershipId,
  role_id: kind === ReviewItemKind.ROLE ? 'owner-role' : null,
  team_id: teamId,
  reviewer_membership_id: null,
  built_in_key: kind === ReviewItemKind.ROLE ? 'owner' : null,
  team_grants_owner: kind === ReviewItemKind.TEAM_PLACE,
});

describe('removeIfAnOwnerRemains (the default REVOKE and the last Owner)', () => {
  it('lets revokes through, in order, until the last path to Owner would go', () => {
    const holdings: OwnerHoldings = new Map([
      ['a', { direct: true, teams: new Set<string>() }],
      ['b', { direct: true, teams: new Set(['t']) }],
    ]);
    expect(removeIfAnOwnerRemains(holdings, row('a', ReviewItemKind.ROLE))).toBe(true); // b remains
    expect(removeIfAnOwnerRemains(holdings, row('b', ReviewItemKind.ROLE))).toBe(true); // b keeps Owner through team t
    expect(removeIfAnOwnerRemains(holdings, row('b', ReviewItemKind.TEAM_PLACE, 't'))).toBe(false); // the very last path
    expect(holdings.get('b')).toEqual({ direct: false, teams: new Set(['t']) });
  });

  it('ignores members who hold no Owner (not active, or not an Owner)', () => {
    const holdings: OwnerHoldings = new Map([['a', { direct: true, teams: new Set<string>() }]]);
    expect(removeIfAnOwnerRemains(holdings, row('z', ReviewItemKind.ROLE))).toBe(true);
    expect(removeIfAnOwnerRemains(holdings, row('a', ReviewItemKind.ROLE))).toBe(false);
  });
});
