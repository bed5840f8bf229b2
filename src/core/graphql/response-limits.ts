import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { defaultFieldResolver, getNullableType, isListType, isObjectType, OperationTypeNode, type FormattedExecutionResult, type GraphQLFieldResolver, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../errors';
import { OperationRefusedError } from './operation-refused-error';

type Resolver = GraphQLFieldResolver<unknown, unknown>;

/** What one request may still resolve; kept beside its context, not on it. */
interface ListBudget {
  remaining: number;
  /** Set once the budget is spent: every later list throws it at once, so the request stops working. */
  refusal?: OperationRefusedError;
}

const budgets = new WeakMap<object, ListBudget>();
const counting = new WeakSet<GraphQLSchema>();

/**
 * Counts the items of every list the schema resolves (`MAX_LIST_ITEMS`): only list fields are wrapped,
 * each adding one subtraction per list (not per item, and nothing on the other fields). A request
 * without a budget (no {@link responseLimitsPlugin}: scripts, benchmarks) is not counted.
 */
export function countListItems(schema: GraphQLSchema): GraphQLSchema {
  if (counting.has(schema)) return schema;
  counting.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (isListType(getNullableType(field.type))) field.resolve = counted(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}

function counted(resolve: Resolver): Resolver {
  return (parent, args, context, info) => {
    const budget = budgets.get(context as object);
    if (budget === undefined) return resolve(parent, args, context, info);
    if (budget.refusal) throw budget.refusal;
    const result = resolve(parent, args, context, info);
    if (Array.isArray(result)) return spend(budget, result);
    if (isThenable(result)) return result.then((list) => (Array.isArray(list) ? spend(budget, list) : list));
    return result;
  };
}

function spend(budget: ListBudget, list: unknown[]): unknown[] {
  budget.remaining -= list.length;
  if (budget.remaining < 0) throw (budget.refusal ??= new OperationRefusedError('list items exceeded'));
  return list;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Gives each request its list-item budget and, when it is spent, replaces the whole answer by one
 * error (BAD_USER_INPUT, HTTP 400 for queries): never a partial list, never thousands of errors.
 * A mutation's changes were made before its answer was built; its refusal says so (HTTP 200).
 */
export function responseLimitsPlugin(maximumListItems: number): ApolloServerPlugin {
  const listener: GraphQLRequestListener<object> = {
    async willSendResponse({ contextValue, response, operation }) {
      if (budgets.get(contextValue)?.refusal === undefined) return;
      const mutation = operation?.operation === OperationTypeNode.MUTATION;
      const message = `The answer would hold more than ${maximumListItems} list items; ask for smaller pages or fewer nested lists${mutation ? ' (the mutation itself was applied)' : ''}`;
      response.body = { kind: 'single', singleResult: { errors: [refusal(message, 'MAX_LIST_ITEMS', maximumListItems)] } };
      if (!mutation) response.http.status = 400;
    },
  };
  return {
    async requestDidStart({ contextValue }) {
      budgets.set(contextValue, { remaining: maximumListItems });
      return listener;
    },
  };
}

/**
 * Apollo's `stringifyResult` with `MAX_RESPONSE_BYTES`: an answer that serialises larger is replaced by
 * one error (BAD_USER_INPUT). Apollo has chosen the HTTP status by then, so it stays (200 after execution).
 */
export function limitedStringify(maximumBytes: number): (value: FormattedExecutionResult) => string {
  return (value) => {
    const text = JSON.stringify(value);
    // A character is at most 3 UTF-8 bytes: most answers need no byte count at all.
    if (text.length * 3 <= maximumBytes) return `${text}\n`;
    const bytes = Buffer.byteLength(text);
    if (bytes <= maximumBytes) return `${text}\n`;
    const message = `The answer is ${bytes} bytes, more than the ${maximumBytes} allowed; ask for smaller pages or fewer fields`;
    return `${JSON.stringify({ errors: [refusal(message, 'MAX_RESPONSE_BYTES', maximumBytes, bytes)] })}\n`;
  };
}

function refusal(message: string, limit: 'MAX_LIST_ITEMS' | 'MAX_RESPONSE_BYTES', maximum: number, actual?: number): GraphQLFormattedError {
  return { message, extensions: { code: ErrorCode.BAD_USER_INPUT, limit, maximum, ...(actual === undefined ? {} : { actual }) } };
}
