import { allow, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isAuthenticated } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';
import type { ElevationRequestType } from './elevation.type';

/** The caller asked for it. */
const isRequester = objectRule('isElevationRequester', (request: ElevationRequestType, ctx: RequestContext) =>
  ctx.principal ? request.requesterUserId === ctx.userId : unauthenticated(),
);

export const elevationRules: RuleMap = {
  Mutation: {
    // Any active member of input.organisationId (the service answers NOT_FOUND elsewhere).
    requestElevation: isAuthenticated,
    // The service checks members:assign-roles in the request's organisation, the escalation rules and
    // that the caller is not the requester (NOT_FOUND for a request the caller cannot see).
    decideElevation: isAuthenticated,
    // The service checks the caller is the requester.
    cancelElevation: isAuthenticated,
  },
  Organisation: {
    elevationRequests: holdsOnParent('members:assign-roles', 'id'),
  },
  ElevationRequest: {
    '*': or(isRequester, holdsOnParent('members:assign-roles')),
  },
  ElevationRequestConnection: { '*': allow },
  ElevationRequestEdge: { '*': allow },
};
