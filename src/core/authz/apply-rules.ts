import { defaultFieldResolver, isObjectType, type GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { deny } from 'graphql-shield';
import type { ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';
import { recordRefusal } from '../observability/authz-metrics';
import { answerFor, compileRule, forgetAnswers, type CompiledRule, type Verdict } from './rule-engine';

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

type Resolver = GraphQLFieldResolver<any, any>;

/** The error a refused field throws, counted (on refusal paths only) under the rule's refusal label. */
function refusal(rule: CompiledRule, verdict: Verdict): Error {
  const error = verdict instanceof Error ? verdict : new AppError(ErrorCode.FORBIDDEN);
  const code = (error as Partial<GraphQLError>).extensions?.code;
  recordRefusal(rule.refusalLabel, typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR);
  return error;
}

/**
 * Applies the rule map to every field of every object type of the schema (deny when a field has no
 * rule). Unlike graphql-middleware, a field is wrapped synchronously, and a field whose rule is always
 * `allow` not at all; rules that depend only on (parent, context) are answered once per object per request.
 */
export function applyRules(schema: GraphQLSchema, map: RuleMap): GraphQLSchema {
  const mutationType = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const compiled = compileRule(ruleFor(map, type.name, field.name).rule);
      // Always `allow`: nothing to check, no wrapper, no cost.
      if (compiled.constant !== true) field.resolve = guard(compiled, field.resolve ?? defaultFieldResolver);
      if (type === mutationType) field.resolve = forgettingFirst(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}

/** The field's resolver behind its rule: a refusal throws (or rejects) instead of resolving. */
function guard(rule: CompiledRule, resolve: Resolver): Resolver {
  if (rule.constant !== undefined) {
    const verdict = rule.constant;
    return () => {
      throw refusal(rule, verdict);
    };
  }
  if (rule.slot >= 0) {
    return (parent, args, ctx, info) => {
      const verdict = answerFor(rule, parent, args, ctx, info);
      return verdict === true ? resolve(parent, args, ctx, info) : afterVerdict(rule, verdict, resolve, parent, args, ctx, info);
    };
  }
  const { check } = rule;
  return (parent, args, ctx, info) => {
    const verdict = check(parent, args, ctx, info);
    return verdict === true ? resolve(parent, args, ctx, info) : afterVerdict(rule, verdict, resolve, parent, args, ctx, info);
  };
}

/** The slow path, kept out of the guards so they stay small: a refusal, or an answer still to come. */
function afterVerdict(rule: CompiledRule, verdict: Verdict | Promise<Verdict>, resolve: Resolver, ...call: Parameters<Resolver>): unknown {
  if (verdict === false || verdict instanceof Error) throw refusal(rule, verdict);
  return (verdict as Promise<Verdict>).then((settled) => {
    if (settled === true) return resolve(...call);
    throw refusal(rule, settled);
  });
}

/** Mutations run one after another and may change what the caller holds: no answer outlives one. */
function forgettingFirst(resolve: Resolver): Resolver {
  return (parent, args, ctx, info) => {
    forgetAnswers(ctx);
    return resolve(parent, args, ctx, info);
  };
}
