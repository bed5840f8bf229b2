import { invitedToOrganisation } from '../invitations/invitee.rules';
import { and, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isAuthenticated, isPlatformAdmin, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';

/** A member of any status (pending and deactivated members still see the organisation's name). */
export const hasMembershipInOrganisation = objectRule('hasMembershipInOrganisation', (organisation: { id: string }, ctx: RequestContext) =>
  withAccess(ctx, organisation.id, (snapshot) => snapshot.membershipId !== null),
);

/** Platform administrators see the organisations they list, not their contents. */
const seesOrganisation = or(hasMembershipInOrganisation, isPlatformAdmin);

export const organisationRules: RuleMap = {
  Organisation: {
    // The invitee of an open invitation sees who invites them (src/invitations/invitee.rules.ts).
    id: or(seesOrganisation, invitedToOrganisation),
    name: or(seesOrganisation, invitedToOrganisation),
    slug: or(seesOrganisation, invitedToOrganisation),
    createdAt: seesOrganisation,
    // Members see why they are refused; platform administrators see every status (support).
    status: seesOrganisation,
    suspendedAt: seesOrganisation,
    deletedAt: seesOrganisation,
    viewerPermissions: and(isAuthenticated, seesOrganisation),
    settings: holdsOnParent('org:read', 'id'),
    permissionBoundary: holdsOnParent('org:read', 'id'),
    roles: holdsOnParent('roles:read', 'id'),
  },
  OrganisationSettings: {
    '*': holdsOnParent('org:read'),
  },
  MfaPolicy: {
    '*': holdsOnParent('org:read'),
  },
};
