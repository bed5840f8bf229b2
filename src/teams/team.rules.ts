import { teamOfferedToViewer } from '../invitations/invitee.rules';
import { allow, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import type { TeamPlaceView, TeamView } from './team.type';

/** teams:read in the organisation, or in this team's scope (its MANAGER). */
const readsTeam = objectRule('readsTeam', (team: TeamView, ctx: RequestContext) =>
  withAccess(ctx, team.organisationId, (snapshot) => snapshot.hasInTeam(team.id, 'teams:read') || decidePermission(snapshot, 'teams:read')),
);

const readsTeamOfPlace = objectRule('readsTeamOfPlace', (place: TeamPlaceView, ctx: RequestContext) =>
  withAccess(ctx, place.organisationId, (snapshot) => snapshot.hasInTeam(place.teamId, 'teams:read') || decidePermission(snapshot, 'teams:read')),
);

/** The caller has a place in the team (the membership's data, whatever its status). */
const teamOfCaller = objectRule('teamOfCaller', (team: TeamView, ctx: RequestContext) => withAccess(ctx, team.organisationId, (snapshot) => snapshot.isInTeam(team.id)));

/** The place is the caller's own (its membership is the caller's). */
const ownPlace = objectRule('teamPlaceOfCaller', (place: TeamPlaceView, ctx: RequestContext) =>
  withAccess(ctx, place.organisationId, (snapshot) => snapshot.membershipId !== null && snapshot.membershipId === place.membershipId),
);

/** teams:read, or managing at least one team (then the list holds those). */
const listsTeams = objectRule('listsTeams', (organisation: { id: string }, ctx: RequestContext) =>
  withAccess(ctx, organisation.id, (snapshot) => snapshot.teamsWith('teams:read').length > 0 || decidePermission(snapshot, 'teams:read')),
);

export const teamRules: RuleMap = {
  Organisation: {
    teams: listsTeams,
  },
  Team: {
    // And the invitee of an open invitation placing them in it (its name before accepting).
    '*': or(teamOfCaller, readsTeam, teamOfferedToViewer),
    members: readsTeam,
    grantedRoles: readsTeam,
    memberCount: readsTeam,
  },
  TeamMembership: {
    '*': or(ownPlace, readsTeamOfPlace),
  },
  TeamConnection: { '*': allow },
  TeamEdge: { '*': allow },
  TeamMemberConnection: { '*': allow },
  TeamMemberEdge: { '*': allow },
};
