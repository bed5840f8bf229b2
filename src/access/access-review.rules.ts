import { and } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent } from '../core/authz/common-rules';

const reviews = holdsOnParent('access:review');
const reviewsInvitations = and(reviews, holdsOnParent('invitations:read'));
const managesRoles = holdsOnParent('roles:manage');

// The objects inside (memberships, invitations, roles, teams, users) are checked by their own types' rules.
export const accessReviewRules: RuleMap = {
  // Query.explainAccess and Query.previewRoleChange: src/core/authz/mutation-permissions.ts.
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
