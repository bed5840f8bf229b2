import fc from 'fast-check';
import { buildSchema, graphql, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { allow, and, chain, deny, not, or, race, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield/typings/types';
import type { ShieldRule } from 'graphql-shield/typings/types';
import { AppError, ErrorCode } from '../errors';
import { applyRules, type RuleMap } from './apply-rules';
import { ruleMap } from './rule-map';
import { answerFor, compileRule, contextRule, evaluateRule, fieldRule, forgetAnswers, isObjectRule, objectRule, type Verdict } from './rule-engine';

const info = {} as GraphQLResolveInfo;
const evaluate = (candidate: ShieldRule, parent: unknown = {}, args: unknown = {}, ctx: unknown = {}) => evaluateRule(candidate, parent, args, ctx, info);

/** A leaf rule answering `answer` (after a tick when `async`), counting how often it is asked. */
function leaf(answer: boolean | string | Error, options: { async?: boolean } = {}) {
  const asked = { count: 0 };
  const created = fieldRule(`leaf:${String(answer)}`, () => {
    asked.count += 1;
    return options.async ? Promise.resolve(answer) : answer;
  });
  return Object.assign(created, { asked });
}

const denied = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);

describe('rule engine: graphql-shield semantics', () => {
  it('answers allow and deny without asking anything, as constants', () => {
    expect(evaluate(allow)).toBe(true);
    expect(evaluate(deny)).toBe(false);
    expect(compileRule(allow).constant).toBe(true);
    expect(compileRule(deny).constant).toBe(false);
    expect(compileRule(or(deny, allow)).constant).toBe(true);
    expect(compileRule(and(allow, deny)).constant).toBe(false);
  });

  it('turns a rule returning a string into a FORBIDDEN error with that message, and a throwing rule into its error', () => {
    const verdict = evaluate(leaf('no entry')) as AppError;
    expect(verdict).toBeInstanceOf(AppError);
    expect(verdict.code).toBe(ErrorCode.FORBIDDEN);
    expect(verdict.message).toBe('no entry');
    const failure = new Error('boom');
    expect(
      evaluate(
        fieldRule('throws', () => {
          throw failure;
        }),
      ),
    ).toBe(failure);
  });

  describe('and', () => {
    it('allows only when every part allows', () => {
      expect(evaluate(and(leaf(true), leaf(true)))).toBe(true);
      expect(evaluate(and(leaf(true), leaf(false)))).toBe(false);
    });

    it('refuses with the first error by position, even after a plain refusal (as shield does)', () => {
      const first = denied('first');
      const second = denied('second');
      expect(evaluate(and(leaf(false), leaf(first), leaf(second)))).toBe(first);
      expect(evaluate(and(leaf(true), leaf(second), leaf(first)))).toBe(second);
    });

    it('stops at an error', () => {
      const after = leaf(true);
      evaluate(and(leaf(denied('stop')), after));
      expect(after.asked.count).toBe(0);
    });
  });

  describe('or', () => {
    it('allows on the first grant and asks nothing after it', () => {
      const after = leaf(true);
      expect(evaluate(or(leaf(false), leaf(true), after))).toBe(true);
      expect(after.asked.count).toBe(0);
    });

    it('refuses with the first error by position when nothing grants (UNAUTHENTICATED is not lost)', () => {
      const unauthenticated = new AppError(ErrorCode.UNAUTHENTICATED);
      expect(evaluate(or(leaf(false), leaf(unauthenticated), leaf(denied('later'))))).toBe(unauthenticated);
      expect(evaluate(or(leaf(unauthenticated), leaf(false)))).toBe(unauthenticated);
    });

    it('propagates the first error through asynchronous parts too', async () => {
      const first = new AppError(ErrorCode.MFA_REQUIRED);
      const verdict = evaluate(or(leaf(false, { async: true }), leaf(first, { async: true }), leaf(denied('later'))));
      expect(verdict).toBeInstanceOf(Promise);
      await expect(verdict).resolves.toBe(first);
    });

    it('refuses plainly when every part refuses without an error', () => {
      expect(evaluate(or(leaf(false), leaf(false)))).toBe(false);
    });
  });

  describe('not', () => {
    it('turns a grant into a refusal (with its own error if given) and a refusal or error into a grant', () => {
      const own = new Error('not allowed when granted');
      expect(evaluate(not(leaf(true)))).toBe(false);
      expect(evaluate(not(leaf(true), own))).toBe(own);
      expect(evaluate(not(leaf(false)))).toBe(true);
      expect(evaluate(not(leaf(denied('x'))))).toBe(true);
    });
  });

  describe('chain and race', () => {
    it('chain asks in order and stops at the first refusal, which is the answer', async () => {
      const stop = denied('stop');
      const after = leaf(true);
      expect(evaluate(chain(leaf(true), leaf(stop), after))).toBe(stop);
      expect(after.asked.count).toBe(0);
      await expect(evaluate(chain(leaf(true, { async: true }), leaf(false)))).resolves.toBe(false);
      expect(evaluate(chain(leaf(true), leaf(true)))).toBe(true);
    });

    it('race asks in order, allows on the first grant, else refuses with the last error asked (as shield does)', () => {
      const after = leaf(true);
      expect(evaluate(race(leaf(false), leaf(true), after))).toBe(true);
      expect(after.asked.count).toBe(0);
      const second = denied('second');
      expect(evaluate(race(leaf(denied('first')), leaf(second), leaf(false)))).toBe(second);
    });
  });

  it('answers synchronously when every rule asked is synchronous, and with a promise otherwise', async () => {
    expect(evaluate(and(leaf(true), or(leaf(false), leaf(true))))).toBe(true);
    const pending = evaluate(and(leaf(true), or(leaf(false), leaf(true, { async: true }))));
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBe(true);
    await expect(evaluate(leaf(false, { async: true }))).resolves.toBe(false);
  });

  it('gives the same answer as graphql-shield itself for any tree of and/or/not/chain/race/allow/deny', async () => {
    const answers = [true, false, 'string refusal', new Error('first kind'), new Error('second kind')] as const;
    const leafArbitrary = fc.record({ answer: fc.constantFrom(...answers), async: fc.boolean() }).map(({ answer, async }) => leaf(answer, { async }) as ShieldRule);
    const { tree } = fc.letrec<{ tree: ShieldRule }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leafArbitrary,
        fc.constantFrom(allow, deny),
        fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((rules) => and(...rules)),
        fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((rules) => or(...rules)),
        fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((rules) => chain(...rules)),
        fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((rules) => race(...rules)),
        tie('tree').map((inner) => not(inner)),
      ),
    }));
    const normalise = (verdict: unknown) => (verdict instanceof Error ? `error:${verdict.message}` : verdict);
    const shieldOptions = { debug: false, allowExternalErrors: false, fallbackRule: allow, fallbackError: new Error('x'), hashFunction: () => '' };
    await fc.assert(
      fc.asyncProperty(tree, async (candidate) => {
        const ours = await evaluate(candidate);
        const theirs = await (candidate as any).resolve({}, {}, { _shield: { cache: {} } }, info, shieldOptions);
        expect(normalise(ours)).toEqual(normalise(theirs));
      }),
      { numRuns: 400 },
    );
  });
});

describe('the rule map', () => {
  it('is a rule tree graphql-shield itself accepts (one rule object per rule name)', () => {
    expect(() => shield(ruleMap as IRules, { fallbackRule: deny })).not.toThrow();
  });
});

describe('rule engine: scopes', () => {
  const onObject = objectRule('onObject', () => true);
  const onRequest = contextRule('onRequest', () => true);
  const onField = fieldRule('onField', () => true);

  it('treats a tree as per-object when every part depends on no more than (parent, context)', () => {
    expect(isObjectRule(onObject)).toBe(true);
    expect(isObjectRule(onRequest)).toBe(true);
    expect(isObjectRule(or(onObject, and(onRequest, not(onObject))))).toBe(true);
    expect(isObjectRule(allow)).toBe(true);
    expect(isObjectRule(onField)).toBe(false);
    expect(isObjectRule(or(onObject, onField))).toBe(false);
  });

  it('names the parts written as async functions (they make every field they guard asynchronous)', () => {
    const slow = objectRule('slow', async () => true);
    expect(compileRule(or(onObject, and(slow, onField))).awaits).toEqual(['slow']);
    expect(compileRule(or(onObject, onField)).awaits).toEqual([]);
  });
});

describe('rule engine: per-object answers', () => {
  const ctx = () => ({});

  it('answers an object rule once per object, never with another object\'s answer', () => {
    const asked: string[] = [];
    const ownedByAlice = compileRule(
      objectRule('ownedByAlice', (parent: { id: string; owner: string }) => {
        asked.push(parent.id);
        return parent.owner === 'alice';
      }),
    );
    const request = ctx();
    const mine = { id: 'a', owner: 'alice' };
    const theirs = { id: 'b', owner: 'bob' };
    const lookalike = { id: 'a', owner: 'bob' }; // same id, other object: must be asked itself
    const answers: Verdict[] = [];
    for (const parent of [mine, mine, theirs, theirs, lookalike, lookalike]) answers.push(answerFor(ownedByAlice, parent, {}, request, info) as Verdict);
    expect(answers).toEqual([true, true, false, false, false, false]);
    expect(asked).toEqual(['a', 'b', 'a']);
  });

  it('keeps answers per request: another request asks again', () => {
    let asked = 0;
    const counted = compileRule(
      objectRule('counted', (_parent: object, request: { allowed: boolean }) => {
        asked += 1;
        return request.allowed;
      }),
    );
    const shared = { id: 'x' };
    expect(answerFor(counted, shared, {}, { allowed: true }, info)).toBe(true);
    expect(answerFor(counted, shared, {}, { allowed: false }, info)).toBe(false);
    expect(asked).toBe(2);
  });

  it('asks an asynchronous object rule once per object even when the object comes back later', async () => {
    let asked = 0;
    const slow = compileRule(
      objectRule('slow', async (parent: { id: string }) => {
        asked += 1;
        return parent.id === 'a';
      }),
    );
    const request = ctx();
    const first = { id: 'a' };
    const second = { id: 'b' };
    const answers = [first, second, first, second].map((parent) => answerFor(slow, parent, {}, request, info));
    expect(await Promise.all(answers)).toEqual([true, false, true, false]);
    await expect(answerFor(slow, second, {}, request, info)).resolves.toBe(false);
    expect(asked).toBe(2);
  });

  it('forgets every answer when told to (before each mutation)', () => {
    let asked = 0;
    const counted = compileRule(objectRule('forgettable', () => ++asked > 0));
    const request = ctx();
    const parent = {};
    answerFor(counted, parent, {}, request, info);
    answerFor(counted, parent, {}, request, info);
    forgetAnswers(request);
    answerFor(counted, parent, {}, request, info);
    expect(asked).toBe(2);
  });
});

describe('applyRules', () => {
  const sdl = `
    type Query { items: [Item!]! open: String unmapped: String }
    type Mutation { touch: Boolean keep: Item revoke: Item }
    type Item { id: ID! name: String secret: String notInMap: String }
    type Other { x: String }
  `;
  const items = [
    { id: 'a', name: 'A', secret: 'sa', notInMap: 'na', visible: true },
    { id: 'b', name: 'B', secret: 'sb', notInMap: 'nb', visible: false },
  ];
  let asked: string[];

  function schemaWith(map: RuleMap): GraphQLSchema {
    const schema = buildSchema(sdl);
    const query = schema.getQueryType()!.getFields();
    query.items.resolve = () => items;
    query.open.resolve = () => 'open';
    query.unmapped.resolve = () => 'leak';
    const mutation = schema.getMutationType()!.getFields();
    mutation.touch.resolve = () => true;
    mutation.keep.resolve = () => items[0];
    mutation.revoke.resolve = (_root, _args, ctx: { revoked?: boolean }) => {
      ctx.revoked = true; // as a mutation that changes the caller's roles (and invalidates its snapshots)
      return items[0];
    };
    return applyRules(schema, map);
  }

  const visible = objectRule('visible', (item: { id: string; visible: boolean }) => {
    asked.push(item.id);
    return item.visible;
  });
  const signedIn = contextRule('signedIn', (ctx: { user?: string }) => (ctx.user ? true : new AppError(ErrorCode.UNAUTHENTICATED)));
  const map: RuleMap = {
    Query: { items: signedIn, open: allow },
    Mutation: { touch: signedIn, keep: signedIn, revoke: signedIn },
    Item: { id: visible, name: visible, secret: and(visible, fieldRule('never', () => false)) },
  };

  beforeEach(() => {
    asked = [];
  });

  it('checks each object once for the fields sharing its rule, and refuses per field', async () => {
    const result = await graphql({ schema: schemaWith(map), source: '{ items { id name secret } }', contextValue: { user: 'u' } });
    // Item "b" is refused on its non-null id, so the whole (non-null) list collapses, exactly as each refusal demands.
    expect(result.data).toBeNull();
    expect(result.errors?.map((error) => [error.path?.join('.'), error.extensions.code])).toEqual(
      expect.arrayContaining([
        ['items.0.secret', ErrorCode.FORBIDDEN],
        ['items.1.id', ErrorCode.FORBIDDEN],
      ]),
    );
    expect(asked.filter((id) => id === 'a')).toEqual(['a']);
  });

  it('denies a field the map does not name (fallback), and a type the map does not name at all', async () => {
    const schema = schemaWith(map);
    const result = await graphql({ schema, source: '{ unmapped open }', contextValue: { user: 'u' } });
    expect(result.data).toEqual({ unmapped: null, open: 'open' });
    expect(result.errors?.map((error) => [error.path?.join('.'), error.extensions.code])).toEqual([['unmapped', ErrorCode.FORBIDDEN]]);
    const visibleOnly = { ...items[0] };
    const item = schema.getType('Item') as any;
    expect(() => item.getFields().notInMap.resolve(visibleOnly, {}, { user: 'u' }, info)).toThrow(AppError);
    const other = schema.getType('Other') as any;
    expect(() => other.getFields().x.resolve({ x: 'leak' }, {}, { user: 'u' }, info)).toThrow(AppError);
  });

  it('leaves allow fields unwrapped and answers allowed fields synchronously', () => {
    const plain = buildSchema(sdl);
    const open = () => 'open';
    plain.getQueryType()!.getFields().open.resolve = open;
    const guarded = applyRules(plain, { ...map, Query: { ...map.Query, open: or(deny, allow) } });
    expect(guarded.getQueryType()!.getFields().open.resolve).toBe(open);
    const name = (guarded.getType('Item') as any).getFields().name.resolve;
    expect(name(items[0], {}, { user: 'u' }, { fieldName: 'name' })).toBe('A');
  });

  it('refuses with the rule\'s own error (UNAUTHENTICATED) and runs no resolver', async () => {
    const result = await graphql({ schema: schemaWith(map), source: '{ items { id } }', contextValue: {} });
    expect(result.errors?.map((error) => error.extensions.code)).toEqual([ErrorCode.UNAUTHENTICATED]);
    expect(asked).toEqual([]);
  });

  it('forgets the answers of one mutation before the next (what the caller holds may have changed)', async () => {
    const notRevoked = objectRule('notRevoked', (_item: object, ctx: { revoked?: boolean }) => !ctx.revoked);
    const schema = schemaWith({ ...map, Item: { '*': notRevoked } });
    const result = await graphql({ schema, source: 'mutation { first: keep { name } second: revoke { name } }', contextValue: { user: 'u' } });
    expect(result.data).toEqual({ first: { name: 'A' }, second: { name: null } });
    expect(result.errors?.map((error) => [error.path?.join('.'), error.extensions.code])).toEqual([['second.name', ErrorCode.FORBIDDEN]]);
  });

  it('waits for an asynchronous rule before resolving', async () => {
    const later = objectRule('later', async (item: { visible: boolean }) => item.visible);
    const schema = schemaWith({ ...map, Item: { '*': later } });
    const result = await graphql({ schema, source: '{ items { name } }', contextValue: { user: 'u' } });
    expect(result.data).toEqual({ items: [{ name: 'A' }, { name: null }] });
    expect(result.errors?.map((error) => error.path?.join('.'))).toEqual(['items.1.name']);
  });
});
