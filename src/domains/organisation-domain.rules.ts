import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isPlatformAdmin } from '../core/authz/common-rules';

export const domainRules: RuleMap = {
  Organisation: {
    domains: holdsOnParent('org:read', 'id'),
  },
  OrganisationDomain: {
    // Members who read the settings read the domains; a platform administrator reads the claim they approve.
    '*': or(holdsOnParent('org:read'), isPlatformAdmin),
  },
};
