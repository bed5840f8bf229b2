import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { badInput } from '../errors';

@ObjectType({ description: 'Relay page information' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow the last edge (paging forward: beyond the page; backward: after `before`)' })
  hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'More items precede the first edge (paging backward: beyond the page; forward: up to `after`)' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Cursor of the first edge: pass it as `before` for the page before' })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: 'Cursor of the last edge: pass it as `after` for the page after' })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: Edge<T>[];
}

/** Builds the `XConnection` and `XEdge` object types for a node type. */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field(() => String) cursor!: string;
    @Field(() => nodeType) node!: T;
  }
  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => Int) totalCount!: number;
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => [EdgeType]) edges!: EdgeType[];
  }
  return { EdgeType, ConnectionType };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The Relay arguments every connection takes: `first`/`after` page forward, `last`/`before` backward. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page forward: at most this many items (0–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE})` })
  first?: number | null;
  @Field(() => String, { nullable: true, description: 'Page forward from this cursor (an `endCursor`)' })
  after?: string | null;
  @Field(() => Int, { nullable: true, description: `Page backward: at most this many items, the last ones (0–${MAX_PAGE_SIZE}); not with \`first\`` })
  last?: number | null;
  @Field(() => String, { nullable: true, description: 'Page backward from this cursor (a `startCursor`); with `last`' })
  before?: string | null;
}

/** What a page asks for, once its arguments are checked. */
export interface PageRequest {
  size: number;
  /** `last`/`before`: the items just before the cursor (or the end of the list). */
  backward: boolean;
  cursor: string | null;
  /** The argument the cursor came in, for error messages. */
  cursorArgument: 'after' | 'before';
}

const given = (value: unknown) => value !== null && value !== undefined;

function checkedSize(value: number, argument: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw badInput(`"${argument}" must be between 0 and ${MAX_PAGE_SIZE}`, { argument });
  }
  return value;
}

/**
 * Checks the page arguments: `first` (+ `after`) pages forward, `last` (+ `before`) backward; `first`
 * with `last`, or a cursor of the other direction, is BAD_USER_INPUT. Sizes 0–100, default 20.
 */
export function pageRequest(args: PageArgs): PageRequest {
  const { first, last } = args;
  // An empty cursor is no cursor (as before this helper existed).
  const after = args.after || null;
  const before = args.before || null;
  if (given(first) && given(last)) throw badInput('Pass "first" or "last", not both', { argument: 'last' });
  if (given(after) && given(before)) throw badInput('Pass "after" or "before", not both', { argument: 'before' });
  const backward = given(last) || given(before);
  if (backward && given(first)) throw badInput('"before" pages backward: use it with "last", not "first"', { argument: 'first' });
  if (backward && given(after)) throw badInput('"after" pages forward: use it with "first", not "last"', { argument: 'after' });
  if (backward) {
    return { size: given(last) ? checkedSize(last as number, 'last') : DEFAULT_PAGE_SIZE, backward, cursor: before, cursorArgument: 'before' };
  }
  return { size: given(first) ? checkedSize(first as number, 'first') : DEFAULT_PAGE_SIZE, backward, cursor: after, cursorArgument: 'after' };
}

/**
 * Turns `size + 1` rows fetched in list order into a connection (lists paged by something other than
 * {@link KeysetPaginator}, e.g. the event feed by sequence): the extra row only says there is a next page.
 */
export function toConnection<T>(rows: T[], size: number, totalCount: number, cursorOf: (row: T) => string, hasPreviousPage = false): Connection<T> {
  const edges = rows.slice(0, size).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    totalCount,
    edges,
    pageInfo: { hasNextPage: rows.length > size, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null },
  };
}
