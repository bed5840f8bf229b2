import { registerEnumType } from 'type-graphql';

/** Which grants a campaign reviews. */
export enum ReviewScopeKind {
  ALL = 'ALL',
  PRIVILEGED = 'PRIVILEGED',
  ROLES = 'ROLES',
  TEAMS = 'TEAMS',
}

export enum ReviewDecision {
  KEEP = 'KEEP',
  REVOKE = 'REVOKE',
}

export enum ReviewCampaignStatus {
  OPEN = 'OPEN',
  CLOSED = 'CLOSED',
}

/** What an item is about: a role held directly, or a place in a team (which grants the team's roles). */
export enum ReviewItemKind {
  ROLE = 'ROLE',
  TEAM_PLACE = 'TEAM_PLACE',
}

/** What became of an item's grant. */
export enum ReviewItemOutcome {
  PENDING = 'PENDING',
  KEPT = 'KEPT',
  REVOKED = 'REVOKED',
  ALREADY_REMOVED = 'ALREADY_REMOVED',
  REVOKE_REFUSED = 'REVOKE_REFUSED',
}

registerEnumType(ReviewScopeKind, {
  name: 'ReviewScopeKind',
  description: 'Which grants a review campaign covers',
  valuesConfig: {
    ALL: { description: "Every member's direct roles and team places" },
    PRIVILEGED: { description: 'The privileged grants (as accessReview.privilegedMembers): Owner, Admin, or roles granting roles:manage, members:assign-roles or org:update, held directly or through a team' },
    ROLES: { description: 'Holders of the chosen roles: direct holdings, and places in teams granting them' },
    TEAMS: { description: 'The places in the chosen teams' },
  },
});
registerEnumType(ReviewDecision, { name: 'ReviewDecision', description: "A reviewer's verdict on a grant" });
registerEnumType(ReviewCampaignStatus, { name: 'ReviewCampaignStatus', description: 'OPEN until closed by hand or at its due date' });
registerEnumType(ReviewItemKind, { name: 'ReviewItemKind', description: 'A role held directly, or a team place' });
registerEnumType(ReviewItemOutcome, {
  name: 'ReviewItemOutcome',
  description: "What became of the item's grant",
  valuesConfig: {
    PENDING: { description: 'Not decided yet' },
    KEPT: { description: 'Kept (decided, or the campaign default at its close)' },
    REVOKED: { description: 'The grant was removed by this decision' },
    ALREADY_REMOVED: { description: 'Decided REVOKE, but the grant (or the member, role or team) was already gone' },
    REVOKE_REFUSED: { description: "The campaign's default REVOKE could not be applied at its close (last Owner, or the reviewer may not remove it): access kept, see outcomeReason" },
  },
});
