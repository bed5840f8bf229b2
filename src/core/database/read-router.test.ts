import type { DataSource } from 'typeorm';
import { runInRequestScope, currentRequestScope } from '../context/request-scope';
import { formatLsn, laterLsn, parseLsn } from './lsn';
import { onPrimary, replicaTolerated } from './read-preference';
import { ReadRouter } from './read-router';
import { ReplicaEndpoint } from './replica-endpoint';

/** A stand-in for a pool: answers the few statements the router and the endpoints send. */
function fakeServer(answer: (sql: string, parameters: unknown[]) => Record<string, unknown>[] | Error) {
  const sent: string[] = [];
  const server = {
    isInitialized: true,
    sent,
    async query(sql: string, parameters: unknown[] = []) {
      sent.push(sql);
      const result = answer(sql, parameters);
      if (result instanceof Error) throw result;
      return result;
    },
    async destroy() {},
  };
  return server as unknown as DataSource & { sent: string[] };
}

describe('WAL positions', () => {
  it('parse, format and compare as PostgreSQL does', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('16/B374D848') as bigint)).toBe('16/B374D848');
    expect((parseLsn('1/0') as bigint) > (parseLsn('0/FFFFFFFF') as bigint)).toBe(true);
    expect(parseLsn(null)).toBeNull();
    expect(() => parseLsn('16-B3')).toThrow('not a WAL position');
    expect(laterLsn(5n, null)).toBe(5n);
    expect(laterLsn(5n, 7n)).toBe(7n);
  });
});

describe('ReadRouter', () => {
  let primaryPosition = '0/100';
  const lastWrites = new Map<unknown, string>();
  let replayedA = '0/100';
  let replicaBDown = false;
  const primary = fakeServer((sql, [userId]) => {
    if (sql.includes('FROM user_write_positions')) return lastWrites.has(userId) ? [{ lsn: lastWrites.get(userId) }] : [];
    if (sql.includes('INSERT INTO user_write_positions')) return [{ lsn: lastWrites.set(userId, primaryPosition).get(userId) }];
    return [{ lsn: primaryPosition }];
  });
  const replicaA = fakeServer(() => [{ recovering: true, replayed: replayedA }]);
  const replicaB = fakeServer(() => (replicaBDown ? Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) : [{ recovering: true, replayed: '0/100' }]));
  const a = new ReplicaEndpoint(replicaA, 'a');
  const b = new ReplicaEndpoint(replicaB, 'b');
  const router = new ReadRouter(primary, [a, b], { maxLagMs: 5_000, checkIntervalMs: 1_000 });

  const inRequest = <T>(work: () => Promise<T>) => runInRequestScope(`request-${Math.random()}`, work);

  beforeEach(async () => {
    replicaBDown = false;
    await router.check();
  });

  it('picks healthy replicas round-robin and skips one whose breaker is open', async () => {
    expect(new Set([router.pick(), router.pick()])).toEqual(new Set([a, b]));
    replicaBDown = true;
    await router.check();
    expect([router.pick(), router.pick(), router.pick()]).toEqual([a, a, a]);
    replicaBDown = false;
    await router.check();
    expect(new Set([router.pick(), router.pick()])).toEqual(new Set([a, b]));
  });

  it('skips a replica lagging further than the limit (measured against the primary positions it saw)', async () => {
    const now = Date.now();
    const spy = jest.spyOn(Date, 'now');
    try {
      primaryPosition = '0/200';
      await router.check(); // the primary is at 0/200 from now on; replica A still at 0/100
      expect(router.lagMs(a)).toBeLessThan(5_000);
      spy.mockReturnValue(now + 6_000);
      expect(router.lagMs(a)).toBeGreaterThan(5_000);
      expect(router.usable(a)).toBe(false);
      replayedA = '0/200';
      await router.check();
      expect(router.usable(a)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('routes a mutation to the primary, a query to one replica, and nothing before the operation is known', async () => {
    await inRequest(async () => {
      expect(router.replicaForRead()).toBeNull();
      await router.settle('mutation', 'user-1');
      expect(router.replicaForRead()).toBeNull();
    });
    await inRequest(async () => {
      await router.settle('query', undefined);
      const chosen = router.replicaForRead();
      expect(chosen).not.toBeNull();
      // One replica for the whole request, and the primary inside onPrimary.
      expect([router.replicaForRead(), router.replicaForRead()]).toEqual([chosen, chosen]);
      expect(onPrimary(() => router.replicaForRead())).toBeNull();
    });
    await inRequest(async () => {
      // Sign-in's reads (lag tolerated) use the replica chosen for the request, which the query keeps.
      const candidate = replicaTolerated(() => router.replicaForRead());
      expect(candidate).not.toBeNull();
      await router.settle('query', undefined);
      expect(router.replicaForRead()).toBe(candidate);
    });
    // Outside a request (workers): the primary.
    expect(router.replicaForRead()).toBeNull();
  });

  it('read-your-writes: after a commit, the writer reads the primary until the replica has replayed it', async () => {
    replayedA = '0/200';
    await router.check();
    primaryPosition = '0/300';
    await inRequest(async () => {
      await router.settle('mutation', 'writer');
      await router.recordCommit();
      expect(currentRequestScope()?.reads?.writePosition).toBe(parseLsn('0/300'));
    });
    // Another request of the same user, wherever it arrives: the stored position decides.
    await inRequest(async () => {
      await router.settle('query', 'writer');
      expect(router.replicaForRead()).toBeNull();
    });
    await inRequest(async () => {
      await router.settle('query', 'someone-else');
      expect(router.replicaForRead()).not.toBeNull();
    });
    replayedA = '0/300';
    (replicaB as unknown as { query: unknown }).query = async () => [{ recovering: true, replayed: '0/300' }];
    await inRequest(async () => {
      // Not known yet: asked once of the replica (one statement), then it serves.
      await router.settle('query', 'writer');
      expect(router.replicaForRead()).not.toBeNull();
    });
  });

  it('a replica that fails a statement is out for the rest of the request and until a check succeeds', async () => {
    await inRequest(async () => {
      await router.settle('query', undefined);
      const chosen = router.replicaForRead() as ReplicaEndpoint;
      router.replicaFailed(chosen, new Error('Connection terminated'));
      expect(router.replicaForRead()).toBeNull();
      expect(chosen.healthy).toBe(false);
    });
  });
});
