import { allow } from 'graphql-shield';
import { accessReviewRules } from '../../access/access-review.rules';
import { viewerRules } from '../../access/viewer.rules';
import { auditRules } from '../../audit/audit.rules';
import { domainRules } from '../../domains/organisation-domain.rules';
import { invitationRules } from '../../invitations/invitation.rules';
import { memberImportRules } from '../../memberships/import/member-import.rules';
import { membershipRules } from '../../memberships/membership.rules';
import { organisationRules } from '../../organisations/organisation.rules';
import { organisationLifecycleRules } from '../../organisations/organisation-lifecycle.rules';
import { roleRules } from '../../roles/role.rules';
import { teamRules } from '../../teams/team.rules';
import { userRules } from '../../users/user.rules';
import { eventRules } from '../../events/event.rules';
import { webhookRules } from '../../webhooks/webhook.rules';
import { reviewCampaignRules } from '../../campaigns/review-campaign.rules';
import { elevationRules } from '../../elevation/elevation.rules';
import type { RuleMap } from './apply-rules';
import { mutationPermissions, queryPermissions } from './mutation-permissions';
import { declarationRule, type Declaration } from './object-rules';

/** Structural types: what they carry is checked by the rules of the nodes inside them. */
const structuralRules: RuleMap = {
  PageInfo: { '*': allow },
  // Federation: the gateway fetches the SDL; entities are checked by their own types' rules and
  // by the reference resolvers, which return null for what the caller may not see.
  Query: { _service: allow, _entities: allow },
  _Service: { sdl: allow },
};

/** Every mutation and query entry point, from the one declaration table (src/core/authz/mutation-permissions.ts). */
const declaredRules: RuleMap = {
  Query: Object.fromEntries(Object.entries(queryPermissions as Record<string, Declaration<any>>).map(([field, declaration]) => [field, declarationRule(declaration)])),
  Mutation: Object.fromEntries(Object.entries(mutationPermissions as Record<string, Declaration<any>>).map(([field, declaration]) => [field, declarationRule(declaration)])),
};

function connectionRules(...names: string[]): RuleMap {
  return Object.fromEntries(names.flatMap((name) => [[`${name}Connection`, { '*': allow }], [`${name}Edge`, { '*': allow }]]));
}

function merge(...maps: RuleMap[]): RuleMap {
  const merged: RuleMap = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      for (const [field, rule] of Object.entries(fields)) {
        if (merged[type]?.[field]) throw new Error(`Two rules for ${type}.${field}`);
        merged[type] = { ...merged[type], [field]: rule };
      }
    }
  }
  return merged;
}

/** The whole rule map: deny is the fallback for anything not named here. */
export const ruleMap: RuleMap = merge(
  structuralRules,
  declaredRules,
  connectionRules('Organisation', 'Event'),
  viewerRules,
  organisationRules,
  organisationLifecycleRules,
  userRules,
  membershipRules,
  memberImportRules,
  roleRules,
  teamRules,
  invitationRules,
  auditRules,
  accessReviewRules,
  domainRules,
  eventRules,
  webhookRules,
  reviewCampaignRules,
  elevationRules,
);
