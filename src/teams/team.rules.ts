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

/** Reached through the caller's own membership. */
const ofViewer = objectRule('teamOfViewer', (object: { ofViewer?: boolean }) => object.ofViewer === true);

/** teams:read, or managing at least one team (then the list holds those). */
const listsTeams = objectRule('listsTeams', (organisation: { id: string }, ctx: RequestContext) =>
  withAccess(ctx, organisation.id, (snapshot) => snapshot.teamsWith('teams:read').length > 0 || decidePermission(snapshot, 'teams:read')),
);

export const teamRules: RuleMap = {
  Organisation: {
    teams: listsTeams,
  },
  Team: {
    '*': or(ofViewer, readsTeam),
    members: readsTeam,
    grantedRoles: readsTeam,
    memberCount: readsTeam,
  },
  TeamMembership: {
    '*': or(ofViewer, readsTeamOfPlace),
  },
  TeamConnection: { '*': allow },
  TeamEdge: { '*': allow },
  TeamMemberConnection: { '*': allow },
  TeamMemberEdge: { '*': allow },
};
