import type { AccessSnapshot } from '../../access/access-snapshot';
import type { RequestContext } from '../context/request-context';
import { AppError, ErrorCode, notFound, organisationRefused, unauthenticated } from '../errors';
import { isId } from '../ids';
import { contextRule, declarePermission, fieldRule, objectRule } from './rule-engine';

type Answer = boolean | Error;

/** Signed in with a valid token. */
export const isAuthenticated = contextRule('isAuthenticated', (ctx: RequestContext) => (ctx.principal ? true : unauthenticated()));

/** Recognised as a platform administrator by the token claim. */
export const isPlatformAdmin = contextRule('isPlatformAdmin', (ctx: RequestContext) => {
  if (!ctx.principal) return unauthenticated();
  return ctx.principal.isPlatformAdmin ? true : new AppError(ErrorCode.FORBIDDEN, 'Only platform administrators may do this');
});

/** Reads the caller's snapshot synchronously when this request already computed it. */
export function withAccess(ctx: RequestContext, organisationId: string, decide: (snapshot: AccessSnapshot) => Answer): Answer | Promise<Answer> {
  if (!ctx.principal) return unauthenticated();
  const known = ctx.peekAccess(organisationId);
  return known ? decide(known) : ctx.access(organisationId).then(decide);
}

/**
 * `allows` holds for the caller in one of `scopes` (an organisation, perhaps a team of it). Synchronous
 * while the snapshots are already known (the usual case inside a list), so the object's fields stay
 * synchronous too; snapshots not yet known are loaded, in order, only when needed.
 */
export function allowsInAnyScope<Scope extends { organisationId: string }>(
  ctx: RequestContext,
  scopes: readonly Scope[],
  allows: (snapshot: AccessSnapshot, scope: Scope) => boolean,
): Answer | Promise<Answer> {
  if (!ctx.principal) return unauthenticated();
  for (let index = 0; index < scopes.length; index += 1) {
    const known = ctx.peekAccess(scopes[index].organisationId);
    if (!known) return allowsInLaterScopes(ctx, scopes, allows, index);
    if (allows(known, scopes[index])) return true;
  }
  return false;
}

async function allowsInLaterScopes<Scope extends { organisationId: string }>(
  ctx: RequestContext,
  scopes: readonly Scope[],
  allows: (snapshot: AccessSnapshot, scope: Scope) => boolean,
  from: number,
): Promise<Answer> {
  for (let index = from; index < scopes.length; index += 1) {
    if (allows(await ctx.access(scopes[index].organisationId), scopes[index])) return true;
  }
  return false;
}

/** Holds `permission`, or MFA_REQUIRED when only the MFA policy stands in the way (it withholds that permission). */
export function decidePermission(snapshot: AccessSnapshot, permission: string): Answer {
  if (snapshot.has(permission)) return true;
  // A member of a suspended or deleted organisation: FORBIDDEN with the reason, before any MFA answer.
  if (snapshot.refusal) return organisationRefused(snapshot.refusal);
  return snapshot.mfaStandsInTheWay(permission) ? new AppError(ErrorCode.MFA_REQUIRED) : false;
}

const permissionRules = new Map<string, ReturnType<typeof objectRule>>();

/**
 * The caller holds `permission` in the organisation owning the parent object (`organisationId`, or
 * `id` for an Organisation). One rule object per permission, so answers are reused per object.
 */
export function holdsOnParent(permission: string, ownerField: 'organisationId' | 'id' = 'organisationId') {
  const name = `holds:${permission}:${ownerField}`;
  let created = permissionRules.get(name);
  if (!created) {
    const decide = (snapshot: AccessSnapshot) => decidePermission(snapshot, permission); // one closure per rule, not per check
    created = declarePermission(
      objectRule(name, (parent: Record<string, string>, ctx: RequestContext) => withAccess(ctx, parent[ownerField], decide)),
      permission,
    );
    permissionRules.set(name, created);
  }
  return created;
}

/** An active member (any permission); else the organisation's refusal, MFA_REQUIRED, or a plain refusal. */
export const decideActive = (snapshot: AccessSnapshot): Answer =>
  snapshot.active ? true : snapshot.refusal ? organisationRefused(snapshot.refusal) : snapshot.mfaRequired ? new AppError(ErrorCode.MFA_REQUIRED) : false;

/** The caller is an active member (any permission) of the organisation owning the parent. */
export const isActiveMemberOfParent = objectRule('isActiveMemberOfParent', (parent: { organisationId: string }, ctx: RequestContext) =>
  withAccess(ctx, parent.organisationId, decideActive),
);

/**
 * A root field or mutation whose `organisationId` argument (or `input.organisationId`) names where
 * `permission` is needed. Where the caller has no access at all the organisation looks missing (NOT_FOUND).
 */
export function holdsOnArgument(permission: string, argument = 'organisationId') {
  const name = `holdsOnArgument:${permission}:${argument}`;
  let created = permissionRules.get(name);
  if (!created) {
    // One rule object per name: graphql-shield refuses two different rules under one name.
    const decide = (snapshot: AccessSnapshot) => {
      const verdict = decidePermission(snapshot, permission);
      return verdict === false && !snapshot.active ? notFound('Organisation') : verdict;
    };
    created = declarePermission(
      fieldRule(name, (_parent: unknown, args: Record<string, any>, ctx: RequestContext) => {
        const organisationId = args[argument] ?? args.input?.[argument];
        if (!isId(organisationId)) return notFound('Organisation');
        return withAccess(ctx, organisationId, decide);
      }),
      permission,
    );
    permissionRules.set(name, created);
  }
  return created;
}
