import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql';
import { isStorableText } from '../storable-text';

function refusal(message: string, argument: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument, http: { status: 400 } } });
}

const unstorable = (where: string) =>
  refusal(`"${where}" contains a character that cannot be stored (NUL, U+0000, or an unpaired surrogate)`, where);

/**
 * Literal arguments of the document: the first unstorable string (by its argument path, e.g.
 * `input.email`) and where each variable is used (to name its argument).
 */
function readDocument(document: DocumentNode): { problem: GraphQLError | null; variableArguments: Map<string, string> } {
  const path: string[] = [];
  const variableArguments = new Map<string, string>();
  let problem: GraphQLError | null = null;
  visit(document, {
    Argument: { enter: (node) => void path.push(node.name.value), leave: () => void path.pop() },
    ObjectField: { enter: (node) => void path.push(node.name.value), leave: () => void path.pop() },
    Variable(node) {
      if (path.length > 0 && !variableArguments.has(node.name.value)) variableArguments.set(node.name.value, path.join('.'));
    },
    StringValue(node) {
      if (isStorableText(node.value)) return undefined;
      problem = unstorable(path.join('.'));
      return BREAK;
    },
  });
  return { problem, variableArguments };
}

/** The path of the first unstorable string (or object key) in a variable's JSON value, or null. */
function findUnstorable(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = findUnstorable(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (!isStorableText(key)) return path;
      const found = findUnstorable(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Hostile input, refused in one place before anything runs (BAD_USER_INPUT, naming the argument or
 * field): a string PostgreSQL cannot store, in any argument, input field or variable (NUL reached
 * the database as a 500 before). (`_entities` sizes are bounded by the cost limit: MAX_ENTITY_REPRESENTATIONS.)
 */
export function inputGuardPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const { problem, variableArguments } = readDocument(document);
          if (problem) throw problem;
          const variables = request.variables ?? {};
          for (const [name, value] of Object.entries(variables)) {
            const found = findUnstorable(value, '');
            if (found !== null) throw unstorable(`${variableArguments.get(name) ?? `$${name}`}${found}`);
          }
        },
      };
    },
  };
}
