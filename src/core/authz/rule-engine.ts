import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import type { GraphQLResolveInfo } from 'graphql';
import type { IRuleFunction, ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';

/** What a rule answers: allowed, denied, or denied with this error. */
export type Verdict = true | false | Error;

type RuleResult = boolean | string | Error;

/** A compiled rule: one call, no allocation on the synchronous path. */
export type Check = (parent: any, args: any, ctx: any, info: GraphQLResolveInfo) => Verdict | Promise<Verdict>;

/**
 * What a rule's answer depends on, from least to most: nothing (`allow`, `deny`), the request
 * (principal), the request and the parent object, or anything including arguments and `info`.
 * A composite depends on the union of what its parts depend on.
 */
export type RuleScope = 'constant' | 'request' | 'object' | 'field';

const SCOPE_ORDER: readonly RuleScope[] = ['constant', 'request', 'object', 'field'];

/** A shield rule tree compiled once for evaluation. */
export interface CompiledRule {
  readonly name: string;
  readonly scope: RuleScope;
  /** For `constant` rules: their fixed answer. */
  readonly constant?: Verdict;
  /** Per-request memo slot of `request`/`object` rules (answered once per object per request); -1 otherwise. */
  readonly slot: number;
  readonly check: Check;
  /**
   * Parts written as `async` functions: they answer with a promise even when everything they read is
   * known, which makes every field they guard asynchronous (the main cost of a rule on a long list).
   */
  readonly awaits: readonly string[];
  /** The catalogue permissions the rule checks (see {@link declarePermission}). */
  readonly permissions: readonly string[];
  /** What a refusal is counted under (authz_refusals_total): the permissions joined by `|`, else the rule's name. */
  readonly refusalLabel: string;
}

// graphql-shield does not export its rule classes; take them from instances so we can walk rule trees.
const RuleAnd = and(allow, allow).constructor;
const RuleOr = or(allow, allow).constructor;
const RuleChain = chain(allow, allow).constructor;
const RuleRace = race(allow, allow).constructor;
const RuleNot = not(allow).constructor;
const RuleTrue = allow.constructor;
const RuleFalse = deny.constructor;

/** Rules declared as depending on less than everything, with the function to call (no shield wrapper). */
const declaredScopes = new WeakMap<object, { scope: 'request' | 'object'; check: (parent: any, ctx: any) => RuleResult | Promise<RuleResult> }>();

/**
 * A shield rule whose answer depends only on the parent object and the request context, never on
 * arguments: the engine evaluates it once per object and reuses the answer for the object's other fields.
 */
export function objectRule(name: string, check: (parent: any, ctx: any) => RuleResult | Promise<RuleResult>): ShieldRule {
  const created = rule(name, { cache: 'no_cache' })((parent, _args, ctx) => check(parent, ctx));
  declaredScopes.set(created, { scope: 'object', check });
  return created;
}

const declaredPermissions = new WeakMap<object, string>();

/** Marks `created` as checking `permission`, so refusals of rules built on it are counted under it. */
export function declarePermission<Rule extends ShieldRule>(created: Rule, permission: string): Rule {
  declaredPermissions.set(created, permission);
  return created;
}

/** A shield rule whose answer depends only on the request context (e.g. who is signed in). */
export function contextRule(name: string, check: (ctx: any) => RuleResult | Promise<RuleResult>): ShieldRule {
  const created = rule(name, { cache: 'no_cache' })((_parent, _args, ctx) => check(ctx));
  declaredScopes.set(created, { scope: 'request', check: (_parent, ctx) => check(ctx) });
  return created;
}

/** A shield rule that may read arguments (root fields, mutations). */
export function fieldRule(name: string, check: IRuleFunction): ShieldRule {
  return rule(name, { cache: 'no_cache' })(check);
}

/** True when the rule's answer depends on no more than (parent, context): one answer per object. */
export function isObjectRule(candidate: ShieldRule): boolean {
  return compileRule(candidate).scope !== 'field';
}

const isPromise = <T>(value: unknown): value is Promise<T> => typeof (value as Promise<T> | null)?.then === 'function';

function toVerdict(result: RuleResult): Verdict {
  if (result === true) return true;
  if (result instanceof Error) return result;
  if (typeof result === 'string') return new AppError(ErrorCode.FORBIDDEN, result);
  return false;
}

// A rule that throws or rejects refuses with that error (masked by formatError unless it carries a code).
function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function callingRule(func: IRuleFunction): Check {
  return (parent, args, ctx, info) => {
    let result: RuleResult | Promise<RuleResult>;
    try {
      result = func(parent, args, ctx, info) as RuleResult | Promise<RuleResult>;
    } catch (error) {
      return toError(error);
    }
    if (result === true) return true;
    return isPromise<RuleResult>(result) ? Promise.resolve(result).then(toVerdict, toError) : toVerdict(result);
  };
}

function callingDeclared(check: (parent: any, ctx: any) => RuleResult | Promise<RuleResult>): Check {
  return (parent, _args, ctx) => {
    let result: RuleResult | Promise<RuleResult>;
    try {
      result = check(parent, ctx);
    } catch (error) {
      return toError(error);
    }
    if (result === true) return true;
    return isPromise<RuleResult>(result) ? Promise.resolve(result).then(toVerdict, toError) : toVerdict(result);
  };
}

/**
 * and: all must allow. Like graphql-shield, a refusal carries the first error (by position) any part
 * answers, else it is a plain `false`; so after a plain `false` the remaining parts are still asked for an error.
 */
function allOf(checks: readonly Check[], parent: any, args: any, ctx: any, info: GraphQLResolveInfo, from: number, refused: boolean): Verdict | Promise<Verdict> {
  for (let index = from; index < checks.length; index += 1) {
    const verdict = checks[index](parent, args, ctx, info);
    if (verdict === true) continue;
    if (verdict === false) {
      refused = true;
      continue;
    }
    if (verdict instanceof Error) return verdict;
    return verdict.then((settled) => (settled instanceof Error ? settled : allOf(checks, parent, args, ctx, info, index + 1, refused || settled === false)));
  }
  return !refused;
}

/** chain: all must allow, asked in order; the first refusal is the answer (graphql-shield's `chain`). */
function inOrder(checks: readonly Check[], parent: any, args: any, ctx: any, info: GraphQLResolveInfo, from: number): Verdict | Promise<Verdict> {
  for (let index = from; index < checks.length; index += 1) {
    const verdict = checks[index](parent, args, ctx, info);
    if (verdict === true) continue;
    if (verdict === false || verdict instanceof Error) return verdict;
    return verdict.then((settled) => (settled === true ? inOrder(checks, parent, args, ctx, info, index + 1) : settled));
  }
  return true;
}

/**
 * or/race: the first grant wins (later parts are not asked). When nothing grants, the refusal carries
 * an error some part answered, else it is a plain `false`: for `or` the first by position (e.g.
 * UNAUTHENTICATED), for `race` the last one asked, as graphql-shield's `race` gathers its answers in reverse.
 */
function anyOf(checks: readonly Check[], last: boolean, parent: any, args: any, ctx: any, info: GraphQLResolveInfo, from: number, error: false | Error): Verdict | Promise<Verdict> {
  for (let index = from; index < checks.length; index += 1) {
    const verdict = checks[index](parent, args, ctx, info);
    if (verdict === true) return true;
    if (verdict === false) continue;
    if (verdict instanceof Error) {
      if (error === false || last) error = verdict;
      continue;
    }
    const known = error;
    return verdict.then((settled) =>
      settled === true ? true : anyOf(checks, last, parent, args, ctx, info, index + 1, settled instanceof Error && (known === false || last) ? settled : known),
    );
  }
  return error;
}

let nextSlot = 0;

function widest(scopes: RuleScope[]): RuleScope {
  return scopes.reduce((wide, scope) => (SCOPE_ORDER.indexOf(scope) > SCOPE_ORDER.indexOf(wide) ? scope : wide), 'constant' as RuleScope);
}

function compiled(name: string, scope: RuleScope, check: Check, constant?: Verdict, awaits: readonly string[] = [], permissions: readonly string[] = []): CompiledRule {
  const refusalLabel = permissions.length > 0 ? permissions.join('|') : name.slice(0, 120);
  return { name, scope, check, constant, awaits, permissions, refusalLabel, slot: scope === 'request' || scope === 'object' ? nextSlot++ : -1 };
}

const isAsyncFunction = (candidate: unknown) => typeof candidate === 'function' && candidate.constructor.name === 'AsyncFunction';

function constantRule(name: string, verdict: Verdict): CompiledRule {
  return compiled(name, 'constant', () => verdict, verdict);
}

function compileLogic(kind: 'and' | 'chain' | 'or' | 'race' | 'not', children: CompiledRule[], error?: Error): CompiledRule {
  const scope = widest(children.map((child) => child.scope));
  // A rule that reads arguments is asked on every field; its per-object parts still answer once per object.
  const checks = children.map((child): Check => (scope === 'field' && child.slot >= 0 ? (parent, args, ctx, info) => answerFor(child, parent, args, ctx, info) : child.check));
  const name = `${kind}(${children.map((child) => child.name).join(', ')})`;
  let check: Check;
  if (kind === 'and') check = (parent, args, ctx, info) => allOf(checks, parent, args, ctx, info, 0, false);
  else if (kind === 'chain') check = (parent, args, ctx, info) => inOrder(checks, parent, args, ctx, info, 0);
  else if (kind === 'or') check = (parent, args, ctx, info) => anyOf(checks, false, parent, args, ctx, info, 0, false);
  else if (kind === 'race') check = (parent, args, ctx, info) => anyOf(checks, true, parent, args, ctx, info, 0, false);
  else {
    // not: a refusal or an error becomes a grant; a grant becomes the rule's error, or a plain refusal.
    const inner = checks[0] ?? (() => false as Verdict);
    const negate = (verdict: Verdict): Verdict => (verdict === true ? (error ?? false) : true);
    check = (parent, args, ctx, info) => {
      const verdict = inner(parent, args, ctx, info);
      return isPromise<Verdict>(verdict) ? verdict.then(negate) : negate(verdict);
    };
  }
  if (scope !== 'constant') {
    const permissions = [...new Set(children.flatMap((child) => child.permissions))];
    return compiled(name, scope, check, undefined, [...new Set(children.flatMap((child) => child.awaits))], permissions);
  }
  // Only allow/deny inside: answer once, now (their checks are synchronous).
  return constantRule(name, check(undefined, undefined, undefined, undefined as unknown as GraphQLResolveInfo) as Verdict);
}

function build(candidate: ShieldRule): CompiledRule {
  if (candidate instanceof RuleTrue) return constantRule('allow', true);
  if (candidate instanceof RuleFalse) return constantRule('deny', false);
  const children = (): CompiledRule[] => ((candidate as any).getRules() as ShieldRule[]).map(compileRule);
  if (candidate instanceof RuleAnd) return compileLogic('and', children());
  if (candidate instanceof RuleChain) return compileLogic('chain', children());
  if (candidate instanceof RuleOr) return compileLogic('or', children());
  if (candidate instanceof RuleRace) return compileLogic('race', children());
  if (candidate instanceof RuleNot) return compileLogic('not', children(), (candidate as any).error);
  const name = String((candidate as any).name ?? 'rule');
  const permission = declaredPermissions.get(candidate);
  const permissions = permission ? [permission] : [];
  const declared = declaredScopes.get(candidate);
  if (declared) return compiled(name, declared.scope, callingDeclared(declared.check), undefined, isAsyncFunction(declared.check) ? [name] : [], permissions);
  const func = (candidate as any).func as IRuleFunction | undefined;
  if (typeof func !== 'function') return constantRule(`unknown:${name}`, false); // unknown rule kind: deny
  return compiled(name, 'field', callingRule(func), undefined, isAsyncFunction(func) ? [name] : [], permissions);
}

const compiledRules = new WeakMap<object, CompiledRule>();

/** Compiles a graphql-shield rule tree (once per rule object) into a direct check with its scope. */
export function compileRule(candidate: ShieldRule): CompiledRule {
  let known = compiledRules.get(candidate);
  if (!known) {
    known = build(candidate);
    compiledRules.set(candidate, known);
  }
  return known;
}

/**
 * Evaluates a graphql-shield rule tree (rule, and, or, not, chain, race, allow, deny) without shield's
 * async middleware: synchronous where the rule functions are, so an allowed field costs a function call.
 */
export function evaluateRule(candidate: ShieldRule, parent: any, args: any, ctx: any, info: GraphQLResolveInfo): Verdict | Promise<Verdict> {
  return compileRule(candidate).check(parent, args, ctx, info);
}

// ---------------------------------------------------------------------------------------------
// Per-request memo of request/object rules: one answer per (rule, object), never shared between
// objects or requests. It lives on the request context, so it dies with the request.

const MEMO = Symbol('authz rule memo');

interface MemoSlot {
  /** The object answered last: the fields of one object are resolved one after another. */
  parent: object | undefined;
  verdict: Verdict | Promise<Verdict>;
  /** Answers that needed I/O, per object, so an object met again later is not asked again. */
  awaited: Map<object, Promise<Verdict>> | undefined;
}

type MemoHolder = { [MEMO]?: (MemoSlot | undefined)[] };

function slotOf(ctx: MemoHolder, slot: number): MemoSlot {
  const slots = (ctx[MEMO] ??= []);
  return (slots[slot] ??= { parent: undefined, verdict: false, awaited: undefined });
}

/**
 * The answer of a request/object rule for `parent` in this request, computed at most once while the
 * object's fields are being resolved (and once per object for answers that needed I/O).
 */
export function answerFor(rule: CompiledRule, parent: unknown, args: any, ctx: unknown, info: GraphQLResolveInfo): Verdict | Promise<Verdict> {
  if (rule.slot < 0 || parent === null || typeof parent !== 'object' || ctx === null || typeof ctx !== 'object') return rule.check(parent, args, ctx, info);
  const memo = slotOf(ctx as MemoHolder, rule.slot);
  if (memo.parent === parent) return memo.verdict;
  let verdict: Verdict | Promise<Verdict> | undefined = memo.awaited?.get(parent);
  if (verdict === undefined) {
    verdict = rule.check(parent, args, ctx, info);
    // Synchronous answers are cheap to recompute; those that waited for something are kept per object.
    if (isPromise<Verdict>(verdict)) (memo.awaited ??= new Map()).set(parent, verdict);
  }
  memo.parent = parent;
  memo.verdict = verdict;
  return verdict;
}

/** Drops every memoised answer and shared lookup of this request (before each mutation: it may change what the caller holds). */
export function forgetAnswers(ctx: unknown): void {
  if (ctx === null || typeof ctx !== 'object') return;
  if ((ctx as MemoHolder)[MEMO]) (ctx as MemoHolder)[MEMO] = undefined;
  if ((ctx as LookupHolder)[LOOKUPS]) (ctx as LookupHolder)[LOOKUPS] = undefined;
}

const LOOKUPS = Symbol('authz shared lookups');
type LookupHolder = { [LOOKUPS]?: Map<string, Promise<unknown>> };

/**
 * A lookup that a mutation's rule and the service behind it both make (the target a declaration loads by
 * hand, outside the loaders), made once: kept until the next mutation field (`forgetAnswers`), never
 * kept when it failed. The service still re-reads what it changes under its lock.
 */
export function sharedLookup<T>(ctx: object, key: string, load: () => Promise<T>): Promise<T> {
  const lookups = ((ctx as LookupHolder)[LOOKUPS] ??= new Map());
  let found = lookups.get(key) as Promise<T> | undefined;
  if (!found) {
    found = load();
    lookups.set(key, found);
    found.catch(() => lookups.delete(key));
  }
  return found;
}
