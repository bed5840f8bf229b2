import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnArgument, holdsOnParent, isPlatformAdmin } from '../core/authz/common-rules';

export const domainRules: RuleMap = {
  Mutation: {
    // The service re-checks org:update (and platform administration for approveDomain).
    requestDomain: holdsOnArgument('org:update'),
    verifyDomain: holdsOnArgument('org:update'),
    removeDomain: holdsOnArgument('org:update'),
    approveDomain: isPlatformAdmin,
  },
  Organisation: {
    domains: holdsOnParent('org:read', 'id'),
  },
  OrganisationDomain: {
    // Members who read the settings read the domains; a platform administrator reads the claim they approve.
    '*': or(holdsOnParent('org:read'), isPlatformAdmin),
  },
};
