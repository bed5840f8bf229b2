/**
 * The load generator of `bench:http` and `soak`: autocannon in a worker thread of the calling process
 * (its own event loop, not the server's), against 127.0.0.1 only, for a bounded time. Every response's
 * body is checked during the run (GraphQL: data and no errors).
 *
 * Two kinds of load:
 * - `bodies`: every connection sends the same bodies in turn (a benchmark scenario);
 * - `plan`: each connection is a virtual user whose requests a plan module builds (a soak mix with
 *   state: an invitation cancelled by the id its creation returned, a member of its own to deactivate).
 *   The module runs in the worker and exports `virtualUser(data, index): autocannon.Request[]` and
 *   `summary(): unknown` (reported back with the result).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

export type BodyCheck = 'graphql' | 'healthz';

export interface LoadPlan {
  /** Absolute path of the plan module (compiled), loaded in the worker. */
  module: string;
  /** Structured-cloneable data given to every virtual user. */
  data: unknown;
}

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent in turn, each connection cycling through them (one element: the same request every time). */
  bodies?: (string | undefined)[];
  /** Instead of `bodies`: one virtual user per connection. */
  plan?: LoadPlan;
  connections: number;
  seconds: number;
  check: BodyCheck;
}

export interface LoadResult {
  /** Completed requests ÷ measured duration (s). */
  reqPerSecMean: number;
  total: number;
  /** Response bytes (headers included) ÷ completed requests. */
  bytesPerResponse: number;
  durationSeconds: number;
  latency: { mean: number; p50: number; p97_5: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  resets: number;
  statusCodes: Record<string, number>;
  /** The plan module's summary (plan runs only). */
  plan?: unknown;
}

/** Everything that went wrong: non-2xx, socket errors and timeouts (autocannon counts a timeout as an error too), unacceptable bodies. */
export const badResponses = (result: LoadResult) => result.non2xx + result.errors + result.mismatches;

/** True when a response body is acceptable during the run (GraphQL: data and no errors). */
export function bodyOk(check: BodyCheck, body: string): boolean {
  if (check === 'healthz') return body === '{"status":"ok"}';
  return body.startsWith('{"data":{') && !body.includes('"errors":[');
}

type RawResult = { totalCompletedRequests: number; totalBytes: number };
type AggregateResult = (results: unknown[], opts: autocannon.Options) => autocannon.Result;

function runInstance(options: autocannon.Options): Promise<unknown> {
  return new Promise((resolve, reject) => autocannon(options, (error, raw) => (error ? reject(error) : resolve(raw))));
}

async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const url = new URL(request.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.hostname}: 127.0.0.1 only`);
  const base: autocannon.Options = {
    url: request.url,
    method: request.method,
    headers: request.headers,
    connections: request.connections,
    duration: request.seconds,
    timeout: 10,
    verifyBody: (body) => bodyOk(request.check, String(body)),
    // Outside the main thread autocannon takes itself for one of its own workers and hands back its raw
    // per-instance result: aggregated here with its documented aggregateResult (latencies, counts).
    skipAggregateResult: true,
  };
  let raws: unknown[];
  let plan: { summary(): unknown } | undefined;
  if (request.plan) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(request.plan.module) as { virtualUser(data: unknown, index: number): autocannon.Request[]; summary(): unknown };
    plan = module;
    const users = Array.from({ length: request.connections }, (_, index) => module.virtualUser(request.plan?.data, index));
    raws = await Promise.all(users.map((requests) => runInstance({ ...base, connections: 1, requests })));
  } else {
    raws = [await runInstance({ ...base, requests: (request.bodies ?? [undefined]).map((body) => ({ method: request.method, body })) })];
  }
  const result = (autocannon as unknown as { aggregateResult: AggregateResult }).aggregateResult(raws, base);
  // aggregateResult leaves the per-second request histogram empty (its samples travel separately
  // between autocannon's own workers), so its requests.mean would read 0. The rate is taken from the
  // raw results instead: completed requests ÷ measured duration. (autocannon's own mean of 1-second
  // samples counts the last, partial second as a whole sample, which reads up to 10 % low.)
  const completed = raws.reduce<number>((sum, raw) => sum + (raw as RawResult).totalCompletedRequests, 0);
  const bytes = raws.reduce<number>((sum, raw) => sum + (raw as RawResult).totalBytes, 0);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    reqPerSecMean: result.duration > 0 ? completed / result.duration : 0,
    total: completed,
    bytesPerResponse: completed > 0 ? bytes / completed : 0,
    durationSeconds: result.duration,
    latency: { mean: result.latency.mean, p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    resets: result.resets,
    statusCodes,
    plan: plan?.summary(),
  };
}

function workerMain(): void {
  parentPort?.on('message', (message: LoadRequest & { id: number }) => {
    runLoad(message).then(
      (result) => parentPort?.postMessage({ id: message.id, result }),
      (error: Error) => parentPort?.postMessage({ id: message.id, error: error.stack ?? String(error) }),
    );
  });
}

/** The main thread's handle on the load generator thread. */
export class LoadGenerator {
  private readonly worker = new Worker(__filename, { workerData: { loadGenerator: true } });
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(result: LoadResult): void; reject(error: Error): void }>();

  constructor() {
    this.worker.on('message', (message: { id: number; result?: LoadResult; error?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`load generator: ${message.error}`));
      else waiter?.resolve(message.result as LoadResult);
    });
    this.worker.on('error', (error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  run(request: LoadRequest): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

if (!isMainThread && (workerData as { loadGenerator?: boolean } | null)?.loadGenerator) workerMain();
