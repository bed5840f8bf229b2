import autocannon from 'autocannon';
import type { ServerRequest } from './scenarios';

export interface LoadResult {
  /** Completed requests ÷ measured seconds. */
  reqPerSec: number;
  completed: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Non-2xx, socket errors, timeouts, and 2xx bodies with GraphQL errors or without data. */
  bad: number;
  timeouts: number;
}

/** True when a response body is a GraphQL success: data and no errors. */
function goodBody(body: string): boolean {
  return body.startsWith('{"data":{') && !body.includes('"errors":[');
}

/**
 * Closed-loop load with autocannon, in this process (the servers are processes of their own): `connections`
 * connections each send the next request as soon as the previous one is answered, for `seconds`, to
 * 127.0.0.1 only. Every body is checked.
 */
export function runLoad(baseUrl: string, request: ServerRequest, connections: number, seconds: number): Promise<LoadResult> {
  const url = new URL(request.path, baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.hostname}: 127.0.0.1 only`);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: url.toString(),
        method: 'POST',
        headers: request.headers,
        body: request.body,
        connections,
        duration: seconds,
        timeout: 20,
        verifyBody: (body) => goodBody(String(body)),
      },
      (error, result) => {
        if (error) return reject(error);
        const completed = result.requests.total;
        resolve({
          reqPerSec: result.duration > 0 ? completed / result.duration : 0,
          completed,
          seconds: result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          bad: result.non2xx + result.errors + result.timeouts + result.mismatches,
          timeouts: result.timeouts,
        });
      },
    );
  });
}
