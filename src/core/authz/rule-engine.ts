import { allow, and, chain, deny, not, or, race, rule } from 'graphql-shield';
import type { GraphQLResolveInfo } from 'graphql';
import type { IRuleFunction, ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';

/** What a rule answers: allowed, denied, or denied with this error. */
export type Verdict = true | false | Error;

type RuleResult = boolean | string | Error;

// graphql-shield does not export its rule classes; take them from instances so we can walk rule trees.
const RuleAnd = and(allow, allow).constructor;
const RuleOr = or(allow, allow).constructor;
const RuleChain = chain(allow, allow).constructor;
const RuleRace = race(allow, allow).constructor;
const RuleNot = not(allow).constructor;
const RuleTrue = allow.constructor;
const RuleFalse = deny.constructor;

/** Rules whose answer depends only on (parent, context): answered once per object per request. */
const objectRules = new WeakSet<object>();

/**
 * A shield rule whose answer depends only on the parent object and the request context, never on
 * arguments: the engine evaluates it once per object and reuses the answer for the object's other fields.
 */
export function objectRule(name: string, check: (parent: any, ctx: any) => RuleResult | Promise<RuleResult>): ShieldRule {
  const created = rule(name, { cache: 'no_cache' })((parent, _args, ctx) => check(parent, ctx));
  objectRules.add(created);
  return created;
}

/** A shield rule that may read arguments (root fields, mutations). */
export function fieldRule(name: string, check: IRuleFunction): ShieldRule {
  return rule(name, { cache: 'no_cache' })(check);
}

export function isObjectRule(candidate: ShieldRule): boolean {
  return objectRules.has(candidate) || candidate instanceof RuleTrue || candidate instanceof RuleFalse;
}

function toVerdict(result: RuleResult): Verdict {
  if (result === true) return true;
  if (result instanceof Error) return result;
  if (typeof result === 'string') return new AppError(ErrorCode.FORBIDDEN, result);
  return false;
}

const isPromise = <T>(value: unknown): value is Promise<T> => typeof (value as Promise<T> | null)?.then === 'function';

type Args = [parent: any, args: any, ctx: any, info: GraphQLResolveInfo];

/** and/chain: the first refusal wins; synchronous while the children answer synchronously. */
function allOf(rules: ShieldRule[], args: Args, from = 0): Verdict | Promise<Verdict> {
  for (let index = from; index < rules.length; index += 1) {
    const verdict = evaluateRule(rules[index], ...args);
    if (isPromise<Verdict>(verdict)) return verdict.then((settled) => (settled === true ? allOf(rules, args, index + 1) : settled));
    if (verdict !== true) return verdict;
  }
  return true;
}

/** or/race: the first grant wins; if none, the first error (e.g. UNAUTHENTICATED), else a plain refusal. */
function anyOf(rules: ShieldRule[], args: Args, from = 0, firstError: Verdict = false): Verdict | Promise<Verdict> {
  for (let index = from; index < rules.length; index += 1) {
    const verdict = evaluateRule(rules[index], ...args);
    if (isPromise<Verdict>(verdict)) {
      return verdict.then((settled) =>
        settled === true ? true : anyOf(rules, args, index + 1, firstError === false && settled instanceof Error ? settled : firstError),
      );
    }
    if (verdict === true) return true;
    if (firstError === false && verdict instanceof Error) firstError = verdict;
  }
  return firstError;
}

/**
 * Evaluates a graphql-shield rule tree (rule, and, or, not, chain, race, allow, deny) without shield's
 * async middleware: synchronous where the rule functions are, so an allowed field costs a function call.
 */
export function evaluateRule(candidate: ShieldRule, ...args: Args): Verdict | Promise<Verdict> {
  if (candidate instanceof RuleTrue) return true;
  if (candidate instanceof RuleFalse) return false;
  if (candidate instanceof RuleAnd || candidate instanceof RuleChain) return allOf((candidate as any).getRules(), args);
  if (candidate instanceof RuleOr || candidate instanceof RuleRace) return anyOf((candidate as any).getRules(), args);
  if (candidate instanceof RuleNot) {
    const inner = evaluateRule((candidate as any).getRules()[0], ...args);
    const negate = (verdict: Verdict): Verdict => (verdict === true ? ((candidate as any).error ?? false) : true);
    return isPromise<Verdict>(inner) ? inner.then(negate) : negate(inner);
  }
  const func = (candidate as any).func as IRuleFunction | undefined;
  if (typeof func !== 'function') return false; // unknown rule kind: deny
  try {
    const result = func(args[0], args[1], args[2], args[3]) as RuleResult | Promise<RuleResult>;
    return isPromise<RuleResult>(result) ? result.then(toVerdict, (error: unknown) => toError(error)) : toVerdict(result);
  } catch (error) {
    return toError(error);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
