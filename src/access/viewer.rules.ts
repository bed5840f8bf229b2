import type { RuleMap } from '../core/authz/apply-rules';
import { isAuthenticated } from '../core/authz/common-rules';

export const viewerRules: RuleMap = {
  Viewer: {
    '*': isAuthenticated,
  },
};
