import { defaultFieldResolver, isObjectType, type GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { deny } from 'graphql-shield';
import type { ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';
import { recordRefusal, refusalCounted } from '../observability/authz-metrics';
import { answerFor, compileRule, fieldRule, forgetAnswers, type CompiledRule, type Verdict } from './rule-engine';

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

/** Redacting rules: what hides the field (null, no error) and what must still hold (else the usual error). */
const redactions = new WeakMap<object, { hidden: ShieldRule; gate?: ShieldRule }>();
const redactedRules = new Map<ShieldRule, Map<ShieldRule | undefined, ShieldRule>>();

/**
 * A field hidden rather than refused: where `hidden` refuses (a plain refusal or FORBIDDEN), the field
 * resolves to null with no error, as contact details and sign-in times do for readers who may see the
 * person but not these (GitHub's private emails). `gate`, when given, refuses as usual first (e.g.
 * invitations:read for an invitation's address). The field must be nullable.
 */
export function redacted(hidden: ShieldRule, gate?: ShieldRule): ShieldRule {
  // One rule object per (hidden, gate): graphql-shield wants one object per rule name (User.email and
  // ImportMemberRow.email are both redacted(readsContactDetails)).
  const known = redactedRules.get(hidden)?.get(gate);
  if (known) return known;
  const hiddenName = compileRule(hidden).name;
  const name = gate ? `${compileRule(gate).name} then redacted(${hiddenName})` : `redacted(${hiddenName})`;
  // As a plain rule (e.g. evaluated outside applyRules) it answers like and(gate, hidden).
  const created = fieldRule(name, async (parent, args, ctx, info) => {
    for (const part of gate ? [gate, hidden] : [hidden]) {
      const verdict = await compileRule(part).check(parent, args, ctx, info);
      if (verdict !== true) return verdict;
    }
    return true;
  });
  redactions.set(created, { hidden, gate });
  const byGate = redactedRules.get(hidden) ?? new Map<ShieldRule | undefined, ShieldRule>();
  redactedRules.set(hidden, byGate.set(gate, created));
  return created;
}

/** For the rule snapshot and tests: whether `rule` hides its field instead of refusing it. */
export function isRedacting(rule: ShieldRule): boolean {
  return redactions.has(rule);
}

/** The error a refused field throws, counted (on refusal paths only) under the rule's refusal label. */
function refusal(rule: CompiledRule, verdict: Verdict): Error {
  const error = verdict instanceof Error ? verdict : new AppError(ErrorCode.FORBIDDEN);
  if (refusalCounted(error)) return error; // counted where it was made, under its permission
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
      const { rule } = ruleFor(map, type.name, field.name);
      const redaction = redactions.get(rule);
      if (redaction) {
        field.resolve = hiding(compileRule(redaction.hidden), field.resolve ?? defaultFieldResolver);
        if (redaction.gate) field.resolve = guard(compileRule(redaction.gate), field.resolve);
        continue;
      }
      const compiled = compileRule(rule);
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

/** A hidden field: null where the rule refuses (plainly or FORBIDDEN); any other error (UNAUTHENTICATED, MFA_REQUIRED) as usual. */
function hiding(rule: CompiledRule, resolve: Resolver): Resolver {
  const settle = (verdict: Verdict, call: Parameters<Resolver>): unknown => {
    if (verdict === true) return resolve(...call);
    if (verdict === false || (verdict as Partial<GraphQLError>).extensions?.code === ErrorCode.FORBIDDEN) return null;
    throw refusal(rule, verdict);
  };
  return (parent, args, ctx, info) => {
    const verdict = rule.slot >= 0 ? answerFor(rule, parent, args, ctx, info) : rule.check(parent, args, ctx, info);
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (verdict instanceof Promise) return verdict.then((settled) => settle(settled, [parent, args, ctx, info]));
    return settle(verdict as Verdict, [parent, args, ctx, info]);
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
