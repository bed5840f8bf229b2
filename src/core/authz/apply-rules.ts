import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { allow, deny } from 'graphql-shield';
import type { ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';
import { evaluateRule, isObjectRule, type Verdict } from './rule-engine';

/** A graphql-shield style rule map: per type, per field, with `*` as the type's rule. */
export type RuleMap = Record<string, Record<string, ShieldRule>>;

/** Where a field's rule comes from: `field` (its own), `type` (the type's `*`) or `fallback` (deny). */
export type RuleSource = 'field' | 'type' | 'fallback';

export function ruleFor(map: RuleMap, typeName: string, fieldName: string): { rule: ShieldRule; source: RuleSource } {
  const typeRules = map[typeName];
  if (typeRules?.[fieldName]) return { rule: typeRules[fieldName], source: 'field' };
  if (typeRules?.['*']) return { rule: typeRules['*'], source: 'type' };
  return { rule: deny, source: 'fallback' };
}

const isPromise = (value: unknown): value is Promise<Verdict> => typeof (value as Promise<Verdict> | null)?.then === 'function';

function refusal(verdict: Verdict): Error {
  return verdict instanceof Error ? verdict : new AppError(ErrorCode.FORBIDDEN);
}

/** Per-request memo of object-rule answers, keyed by the parent object (never shared between objects). */
interface RuleMemoHolder {
  ruleMemo?: WeakMap<object, Map<ShieldRule, Verdict | Promise<Verdict>>>;
}

function memoised(rule: ShieldRule, parent: unknown, ctx: RuleMemoHolder, compute: () => Verdict | Promise<Verdict>): Verdict | Promise<Verdict> {
  if (parent === null || typeof parent !== 'object') return compute();
  ctx.ruleMemo ??= new WeakMap();
  let answers = ctx.ruleMemo.get(parent);
  if (!answers) ctx.ruleMemo.set(parent, (answers = new Map()));
  const known = answers.get(rule);
  if (known !== undefined) return known;
  const verdict = compute();
  answers.set(rule, verdict);
  return verdict;
}

/**
 * Applies the rule map to every field of every object type of the schema (deny when a field has no
 * rule). Unlike graphql-middleware, a field is wrapped synchronously and `allow` fields not at all;
 * object rules are answered once per object per request.
 */
export function applyRules(schema: GraphQLSchema, map: RuleMap): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const { rule } = ruleFor(map, type.name, field.name);
      if (rule === allow) continue; // nothing to check: no wrapper, no cost
      field.resolve = guard(rule, field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}

function guard(rule: ShieldRule, resolve: GraphQLFieldResolver<any, any>): GraphQLFieldResolver<any, any> {
  const perObject = isObjectRule(rule);
  return (parent, args, ctx, info) => {
    const verdict = perObject ? memoised(rule, parent, ctx, () => evaluateRule(rule, parent, args, ctx, info)) : evaluateRule(rule, parent, args, ctx, info);
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (isPromise(verdict)) {
      return verdict.then((settled) => {
        if (settled === true) return resolve(parent, args, ctx, info);
        throw refusal(settled);
      });
    }
    throw refusal(verdict);
  };
}
