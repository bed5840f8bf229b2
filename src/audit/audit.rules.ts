import { allow, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, holdsOnParent, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { userRules } from '../users/user.rules';
import type { AuditActorView } from './audit-actor';

/**
 * A user reached as the actor of an event in an organisation's audit log, by a reader holding
 * audit:read there: the reader may see who acted (id and display name), even once the actor has left.
 */
const actorSeenInAuditLog = objectRule('userSeenInAuditLog', (user: Partial<AuditActorView>, ctx: RequestContext) =>
  user.seenInAuditOf ? withAccess(ctx, user.seenInAuditOf, (snapshot) => decidePermission(snapshot, 'audit:read')) : false,
);

// What any user path allows (yourself, members:read where they are a member), or the audit actor path.
const readsUserIdentity = or(userRules.User['*'], actorSeenInAuditLog);

export const auditRules: RuleMap = {
  Organisation: {
    auditLog: holdsOnParent('audit:read', 'id'),
  },
  AuditEvent: {
    '*': holdsOnParent('audit:read'),
    // audit:read shows that a target exists; the target object itself is shown only where its own type's
    // rule lets the reader see it (src/audit/audit-target.ts), else null.
    target: holdsOnParent('audit:read'),
  },
  AuditEventConnection: { '*': allow },
  AuditEventEdge: { '*': allow },
  // Only id and displayName widen; every other User field keeps its rule in src/users/user.rules.ts.
  User: {
    id: readsUserIdentity,
    displayName: readsUserIdentity,
  },
};
