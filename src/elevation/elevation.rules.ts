import { allow, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';
import type { ElevationRequestType } from './elevation.type';

/** The caller asked for it. */
const isRequester = objectRule('isElevationRequester', (request: ElevationRequestType, ctx: RequestContext) =>
  ctx.principal ? request.requesterUserId === ctx.userId : unauthenticated(),
);

export const elevationRules: RuleMap = {
  // The mutations: src/core/authz/mutation-permissions.ts.
  Organisation: {
    elevationRequests: holdsOnParent('members:assign-roles', 'id'),
  },
  ElevationRequest: {
    '*': or(isRequester, holdsOnParent('members:assign-roles')),
  },
  ElevationRequestConnection: { '*': allow },
  ElevationRequestEdge: { '*': allow },
};
