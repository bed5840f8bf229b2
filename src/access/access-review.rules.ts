import { and } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnArgument, holdsOnParent, isAuthenticated } from '../core/authz/common-rules';

const reviews = holdsOnParent('access:review');
const reviewsInvitations = and(reviews, holdsOnParent('invitations:read'));
const managesRoles = holdsOnParent('roles:manage');

// The objects inside (memberships, invitations, roles, teams, users) are checked by their own types' rules.
export const accessReviewRules: RuleMap = {
  Query: {
    explainAccess: holdsOnArgument('access:review'),
    // The preview service checks roles:manage and members:read in the role's organisation (NOT_FOUND elsewhere), as updateRole does.
    previewRoleChange: isAuthenticated,
  },
  Organisation: {
    accessReview: holdsOnParent('access:review', 'id'),
  },
  AccessReview: {
    '*': reviews,
    expiredInvitations: reviewsInvitations,
  },
  AccessReviewCounts: {
    '*': reviews,
    expiredInvitations: reviewsInvitations,
  },
  AccessExplanation: { '*': reviews },
  AccessPath: { '*': reviews },
  ExpiringGrant: { '*': reviews },
  RoleChangePreview: { '*': managesRoles },
  RoleChangeEffect: { '*': managesRoles },
};
