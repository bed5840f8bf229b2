import {
  astFromValue,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** One place a client can put a string: an argument, perhaps a field inside its input object (a path). */
export interface StringInput {
  /** `Type.field(argument)`, e.g. `Mutation.inviteUser(input)`. */
  coordinate: string;
  type: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  argument: GraphQLArgument;
  /** Inside the argument's value: input field names and `0` for list items. */
  path: (string | number)[];
  /** How the service names it in messages: the argument, then the input fields (`input.email`). */
  name: string;
}

export const DUMMY_ID = '00000000-0000-4000-8000-000000000000';

/** A valid value of an input type: required input fields filled, lists of one. */
export function sampleValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType);
  if (isListType(type)) return [sampleValue(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).filter((field) => isNonNullType(field.type)).map((field) => [field.name, sampleValue(field.type)]));
  }
  switch (type.name) {
    case 'ID':
      return DUMMY_ID;
    case 'Int':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTimeISO':
      return '2024-01-01T00:00:00.000Z';
    case '_Any':
      return { __typename: 'User', id: DUMMY_ID };
    case 'JSONObject':
      return {};
    default:
      return 'x';
  }
}

const isStringScalar = (type: GraphQLInputType) => isScalarType(getNamedType(type)) && ['String', 'ID', '_Any'].includes(getNamedType(type).name);

/** Every path to a string inside an input type (`_Any` representations count: their `id` is a string). */
function stringPaths(type: GraphQLInputType, seen: Set<string> = new Set()): (string | number)[][] {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return stringPaths(inner.ofType, seen).map((path) => [0, ...path]);
  if (isStringScalar(inner)) return getNamedType(inner).name === '_Any' ? [['id']] : [[]];
  if (isInputObjectType(inner) && !seen.has(inner.name)) {
    const next = new Set(seen).add(inner.name);
    return Object.values(inner.getFields()).flatMap((field) => stringPaths(field.type, next).map((path) => [field.name, ...path]));
  }
  return [];
}

/** Every argument and input field of the schema that takes a string (String, ID, `_Any`), at any depth. */
export function stringInputs(schema: GraphQLSchema): StringInput[] {
  const inputs: StringInput[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      for (const argument of field.args) {
        for (const path of stringPaths(argument.type)) {
          inputs.push({
            coordinate: `${type.name}.${field.name}(${argument.name})`,
            type,
            field,
            argument,
            path,
            name: [argument.name, ...path.filter((part) => typeof part === 'string')].join('.'),
          });
        }
      }
    }
  }
  return inputs;
}

/** A way from the root to fields of `target`: root field names with the object types on the way. */
function pathTo(schema: GraphQLSchema, target: GraphQLObjectType): { root: 'query' | 'mutation'; fields: GraphQLField<unknown, unknown>[] } {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const;
  for (const [root, type] of roots) if (type === target) return { root, fields: [] };
  // Breadth first from Query: the shortest way.
  const queue: { type: GraphQLObjectType; fields: GraphQLField<unknown, unknown>[] }[] = [{ type: schema.getQueryType() as GraphQLObjectType, fields: [] }];
  const seen = new Set<string>(['Query']);
  while (queue.length > 0) {
    const { type, fields } = queue.shift() as (typeof queue)[number];
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (!isObjectType(named) || seen.has(named.name)) continue;
      if (named === target) return { root: 'query', fields: [...fields, field] };
      seen.add(named.name);
      queue.push({ type: named, fields: [...fields, field] });
    }
  }
  throw new Error(`no way from Query to ${target.name}`);
}

/** GraphQL literal text of a JSON value (`_Any` is a scalar holding objects, which astFromValue cannot print). */
function jsonLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([key, inner]) => `${key}: ${jsonLiteral(inner)}`).join(', ')}}`;
  if (typeof value === 'string') return print({ kind: Kind.STRING, value });
  return JSON.stringify(value);
}

function literal(value: unknown, type: GraphQLInputType): string {
  if (getNamedType(type).name === '_Any') return jsonLiteral(value);
  const node = astFromValue(value, type);
  if (!node) throw new Error(`cannot print ${JSON.stringify(value)} as ${String(type)}`);
  return print(node);
}

function requiredArguments(field: GraphQLField<unknown, unknown>, except?: string): string {
  const parts = field.args.filter((argument) => argument.name !== except && isNonNullType(argument.type)).map((argument) => `${argument.name}: ${literal(sampleValue(argument.type), argument.type)}`);
  return parts.join(', ');
}

/** `value` with `text` at `path` (a copy). */
export function withValueAt(value: unknown, path: (string | number)[], text: unknown): unknown {
  if (path.length === 0) return text;
  const [head, ...rest] = path;
  if (typeof head === 'number') return [withValueAt((value as unknown[])?.[0], rest, text)];
  return { ...(value as Record<string, unknown>), [head]: withValueAt((value as Record<string, unknown>)?.[head], rest, text) };
}

/**
 * An operation that passes validation and reaches `input` with `text` at its path: as the variable `$v`
 * (`mode: 'variable'`), or written into the document (`'literal'`).
 */
export function operationFor(schema: GraphQLSchema, input: StringInput, text: string, mode: 'variable' | 'literal'): { query: string; variables: Record<string, unknown> } {
  const { root, fields } = pathTo(schema, input.type);
  const value = withValueAt(sampleValue(input.argument.type), input.path, text);
  const argumentText = mode === 'variable' ? '$v' : literal(value, input.argument.type);
  const others = requiredArguments(input.field, input.argument.name);
  const targetArguments = [`${input.argument.name}: ${argumentText}`, others].filter(Boolean).join(', ');
  const returned = getNamedType(input.field.type);
  const leaf = isScalarType(returned) || isEnumType(returned) ? '' : ' { __typename }';
  let selection = `${input.field.name}(${targetArguments})${leaf}`;
  for (const field of [...fields].reverse()) {
    const required = requiredArguments(field);
    selection = `${field.name}${required ? `(${required})` : ''} { ${selection} }`;
  }
  const header = mode === 'variable' ? `($v: ${String(input.argument.type)})` : '';
  return { query: `${root}${header} { ${selection} }`, variables: mode === 'variable' ? { v: value } : {} };
}
