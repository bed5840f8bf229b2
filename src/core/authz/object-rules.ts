import type DataLoader from 'dataloader';
import type { ShieldRule } from 'graphql-shield/typings/types';
import type { AccessSnapshot } from '../../access/access-snapshot';
import type { RequestContext } from '../context/request-context';
import type { Loaders } from '../context/loaders';
import { AppError, ErrorCode, forbidden, notFound, organisationRefused, unauthenticated } from '../errors';
import { isId } from '../ids';
import { contextRule, declarePermission, fieldRule } from './rule-engine';

/**
 * Authorization declarations for entry points (mutations, root queries), read by two parties:
 *
 * - the rule map: {@link declarationRule} turns a declaration into the field's rule, so a reviewer
 *   reads `holdsOn(teams:delete, teamById(id))` next to `deleteTeam` instead of `isAuthenticated`;
 * - the services: they call {@link Declaration.authorize} with the same arguments inside the mutation
 *   (the re-check), and get back what it loaded (the target and the caller's snapshot). What only a
 *   service can see (escalation, the last Owner, ids inside inputs) stays in the service.
 *
 * Both therefore answer NOT_FOUND / MFA_REQUIRED / FORBIDDEN alike; test/rule-service-agreement.test.ts
 * proves it mutation by mutation.
 */

/** What an authorized call hands to the service. */
export interface Authorized<T = unknown> {
  /** The loaded target (for `holdsOn`), else undefined. */
  object: T;
  /** The organisation the decision was taken in (null for platform or token-based declarations). */
  organisationId: string | null;
  /** The caller's snapshot there (null where no organisation is involved). */
  snapshot: AccessSnapshot | null;
}

export interface Declaration<T = unknown> {
  /** One readable line: what the rule map snapshot and the README show. */
  readonly description: string;
  /** The catalogue permissions checked (for refusal metrics and the agreement test). */
  readonly permissions: readonly string[];
  /** Whether the organisation's MFA policy can stand in the way (MFA_REQUIRED). */
  readonly organisationScoped: boolean;
  /** Resolves when the caller may, else rejects with NOT_FOUND, MFA_REQUIRED, FORBIDDEN or UNAUTHENTICATED. */
  authorize(ctx: RequestContext, args: Record<string, any>): Promise<Authorized<T>>;
  /** The same decision, synchronous, where it reads only the request (signed in, platform administrator). */
  readonly decideNow?: (ctx: RequestContext) => true | Error;
}

/** Reads `path` ("id", "input.organisationId") from the field's arguments. */
export function argumentAt(args: Record<string, any>, path: string): unknown {
  return path.split('.').reduce<any>((value, key) => (value === null || value === undefined ? undefined : value[key]), args);
}

/**
 * `permission` in the organisation (or, with `teamId`, in the team's scope), else its refusal
 * ({@link AccessSnapshot.refusalFor}) thrown: like {@link RequestContext.requirePermission} but without
 * counting it (the rule that refuses counts it once, under its declared permissions). Also for declarations
 * written by hand (`decidedBy`).
 */
export function demand(snapshot: AccessSnapshot, permission: string, what: string, teamId?: string): void {
  const refusal = snapshot.refusalFor(permission, what, teamId);
  if (refusal) throw refusal;
}

const list = (permission: string | readonly string[]) => (typeof permission === 'string' ? [permission] : [...permission]);

/** Signed in; what else decides is named in `why` (and checked by the service). */
export function signedIn(why: string): Declaration<undefined> {
  const decideNow = (ctx: RequestContext) => (ctx.principal ? true : unauthenticated());
  return {
    description: `signedIn(${why})`,
    permissions: [],
    organisationScoped: false,
    decideNow,
    async authorize(ctx) {
      ctx.requirePrincipal();
      return { object: undefined, organisationId: null, snapshot: null };
    },
  };
}

/** A platform administrator (token claim). */
export function platformAdmin(): Declaration<undefined> {
  const decideNow = (ctx: RequestContext) => (!ctx.principal ? unauthenticated() : ctx.principal.isPlatformAdmin ? true : forbidden('Only platform administrators may do this'));
  return {
    description: 'platformAdmin',
    permissions: [],
    organisationScoped: false,
    decideNow,
    async authorize(ctx) {
      const verdict = decideNow(ctx);
      if (verdict !== true) throw verdict;
      return { object: undefined, organisationId: null, snapshot: null };
    },
  };
}

/**
 * Every one of `permissions` in the organisation named by the argument at `arg`. Where the caller has no
 * access at all the organisation looks missing (NOT_FOUND).
 */
export function holdsIn(permission: string | readonly string[], arg = 'input.organisationId'): Declaration<undefined> {
  const permissions = list(permission);
  return {
    description: `holdsIn(${permissions.join(' & ')}, organisation(${arg}))`,
    permissions,
    organisationScoped: true,
    async authorize(ctx, args) {
      ctx.requirePrincipal();
      const organisationId = argumentAt(args, arg);
      if (!isId(organisationId)) throw notFound('Organisation');
      const snapshot = await ctx.access(organisationId);
      for (const key of permissions) demand(snapshot, key, 'Organisation');
      return { object: undefined, organisationId, snapshot };
    },
  };
}

/** The loaders that load a target by id whose rows carry `organisationId`. */
type TargetLoader = {
  [K in keyof Loaders]: Loaders[K] extends DataLoader<string, infer V> ? (NonNullable<V> extends { organisationId: string } ? K : never) : never;
}[keyof Loaders];

type Loaded<K extends TargetLoader> = Loaders[K] extends DataLoader<string, infer V> ? NonNullable<V> : never;

export interface HoldsOnOptions<K extends TargetLoader> {
  /** The request loader that loads the target (through the request's DataLoaders: the service's later load is free). */
  load: K;
  /** Where its id is in the arguments ("id", "input.teamId"). */
  arg: string;
  /** The name in NOT_FOUND ("Team not found"). */
  what: string;
  /**
   * The permission may also be held in the target team's scope (its MANAGER); the target is a team,
   * or, with `teamOf`, the object names its team there.
   */
  teamScope?: boolean;
  /** Without this permission (organisation-wide or in the team's scope) the target is not even visible: NOT_FOUND. */
  visibleWith?: string;
}

/**
 * `permission` (all of them, when several) in the organisation owning the object that `load` loads
 * from the argument at `arg`. A missing target, another organisation's, or one the caller may not see
 * is NOT_FOUND; the MFA policy standing in the way is MFA_REQUIRED; otherwise FORBIDDEN.
 */
export function holdsOn<K extends TargetLoader>(permission: string | readonly string[], options: HoldsOnOptions<K>): Declaration<Loaded<K>> {
  const permissions = list(permission);
  const { load, arg, what, teamScope = false, visibleWith } = options;
  const flags = [teamScope ? 'teamScope' : '', visibleWith ? `visibleWith: ${visibleWith}` : ''].filter(Boolean);
  return {
    description: `holdsOn(${permissions.join(' & ')}, ${load}(${arg})${flags.length ? `, ${flags.join(', ')}` : ''})`,
    permissions,
    organisationScoped: true,
    async authorize(ctx, args) {
      ctx.requirePrincipal();
      const id = argumentAt(args, arg);
      const loader = ctx.loaders[load] as unknown as DataLoader<string, Loaded<K> | null>;
      const object = isId(id) ? await loader.load(id) : null;
      if (!object) throw notFound(what);
      const { organisationId } = object as unknown as { organisationId: string };
      const snapshot = await ctx.access(organisationId);
      const teamId = teamScope ? (object as unknown as { id: string }).id : undefined;
      if (visibleWith && !snapshot.hasInTeam((object as unknown as { id: string }).id, visibleWith)) {
        if (snapshot.refusal) throw organisationRefused(snapshot.refusal);
        if (snapshot.mfaStandsInTheWay(visibleWith)) throw new AppError(ErrorCode.MFA_REQUIRED);
        throw notFound(what);
      }
      for (const key of permissions) demand(snapshot, key, what, teamId);
      return { object, organisationId, snapshot };
    },
  };
}

/**
 * A decision only a dedicated function can take (several paths, a token); the function is the one the
 * service calls too, so rule and service still agree.
 */
export function decidedBy<T>(description: string, permissions: readonly string[], organisationScoped: boolean, authorize: Declaration<T>['authorize']): Declaration<T> {
  return { description, permissions, organisationScoped, authorize };
}

const rules = new Map<string, ShieldRule>();

/**
 * The rule map's rule for a declaration: one rule object per description (graphql-shield refuses two
 * rules under one name), counted under the declared permissions when it refuses.
 */
export function declarationRule(declaration: Declaration): ShieldRule {
  let created = rules.get(declaration.description);
  if (!created && declaration.decideNow) {
    created = contextRule(declaration.description, declaration.decideNow);
    rules.set(declaration.description, created);
  }
  if (!created) {
    created = fieldRule(declaration.description, (_parent, args: Record<string, any>, ctx: RequestContext) =>
      declaration.authorize(ctx, args).then(
        () => true,
        (error: Error) => error,
      ),
    );
    if (declaration.permissions.length > 0) declarePermission(created, declaration.permissions.join('|'));
    rules.set(declaration.description, created);
  }
  return created;
}
