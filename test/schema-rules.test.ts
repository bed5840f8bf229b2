import 'reflect-metadata';
import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
import { ruleFor } from '../src/core/authz/apply-rules';
import { ruleMap } from '../src/core/authz/rule-map';
import { mutationPermissions, queryPermissions } from '../src/core/authz/mutation-permissions';
import { buildAppSchema } from '../src/core/graphql/build-schema';

/** A readable name for a graphql-shield rule tree, for the permission snapshot. */
function describeRule(rule: any): string {
  const kind = rule.constructor.name;
  if (kind === 'RuleTrue') return 'allow';
  if (kind === 'RuleFalse') return 'deny';
  if (kind === 'RuleNot') return `not(${describeRule(rule.getRules()[0])})`;
  if (['RuleAnd', 'RuleOr', 'RuleChain', 'RuleRace'].includes(kind)) {
    return `${kind.slice(4).toLowerCase()}(${rule.getRules().map(describeRule).join(', ')})`;
  }
  return rule.name;
}

describe('authorization coverage', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema({ rules: false });
  });

  it('gives every field of every object type a rule (nothing relies on the deny fallback)', () => {
    const uncovered: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.keys(type.getFields())) {
        if (ruleFor(ruleMap, type.name, field).source === 'fallback') uncovered.push(`${type.name}.${field}`);
      }
    }
    expect(uncovered).toEqual([]);
  });

  it('names no type or field the schema does not have (a stale rule hides a missing one)', () => {
    const stale: string[] = [];
    for (const [typeName, fields] of Object.entries(ruleMap)) {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) {
        stale.push(typeName);
        continue;
      }
      for (const field of Object.keys(fields)) if (field !== '*' && !type.getFields()[field]) stale.push(`${typeName}.${field}`);
    }
    expect(stale).toEqual([]);
  });

  it('denies a field that has no rule (fallback)', () => {
    expect(describeRule(ruleFor(ruleMap, 'NoSuchType', 'field').rule)).toBe('deny');
  });

  // Reviewed as a permission change: update with `npx jest -u test/schema-rules.test.ts` only on purpose.
  // Every field of every object type (root fields, entities, nested objects, connections): a field that
  // takes its type's `*` rule shows it, so widening a type rule shows on each field it covers.
  it('matches the reviewed rule of every field of the schema', () => {
    const rules: Record<string, string> = {};
    const types = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const type of types) {
      if (!isObjectType(type)) continue;
      for (const field of Object.keys(type.getFields()).sort()) {
        const { rule, source } = ruleFor(ruleMap, type.name, field);
        rules[`${type.name}.${field}`] = source === 'type' ? `${describeRule(rule)} (${type.name}.*)` : describeRule(rule);
      }
    }
    expect(Object.keys(rules).length).toBeGreaterThan(150);
    expect(rules).toMatchSnapshot();
  });

  it('declares every mutation and root query field in the one declaration table', () => {
    const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {}).sort();
    expect(Object.keys(mutationPermissions).sort()).toEqual(mutations);
    const queries = Object.keys(schema.getQueryType()?.getFields() ?? {}).filter((name) => !name.startsWith('_')).sort();
    expect(Object.keys(queryPermissions).sort()).toEqual(queries);
  });

  // Reviewed with the snapshot: every field that is an email address carries the one contact rule
  // (src/core/authz/contact-details.ts). Free text that may hold one (audit details, display names,
  // import messages) is redacted by the same decision; test/contact-details.test.ts covers those.
  it('puts the one contact rule on every email field', () => {
    const rules: Record<string, string> = {};
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (/email$/i.test(field.name) && getNamedType(field.type).name === 'String') rules[`${type.name}.${field.name}`] = describeRule(ruleFor(ruleMap, type.name, field.name).rule);
      }
    }
    expect(Object.keys(rules).sort()).toEqual(['ImportMemberRow.email', 'Invitation.email', 'User.email']);
    for (const [field, rule] of Object.entries(rules)) expect([field, rule]).toEqual([field, expect.stringContaining('readsContactDetails')]);
    expect(rules).toMatchSnapshot();
  });
});
