import { Client } from 'pg';

/**
 * A node-postgres client that drops its connection when a query times out on the client side
 * (`query_timeout`, DATABASE_QUERY_TIMEOUT_MS). That only happens when the server cannot answer at all
 * (stopped, or a network black hole): node-postgres would keep the connection waiting for the lost answer
 * and queue every later query behind it, so the pool would hand out dead connections after the database
 * came back. Destroying the socket makes the client emit 'error', and the pool discards it.
 */
export class TimeLimitedClient extends Client {
  // One signature for all of pg's overloads: only the promise form (what TypeORM uses) is watched.
  override query(...args: any[]): any {
    const result = (super.query as (...args: any[]) => any)(...args);
    if (result && typeof result.then === 'function') {
      result.then(undefined, (error: unknown) => {
        if (error instanceof Error && error.message === 'Query read timeout') this.abandonConnection();
      });
    }
    return result;
  }

  private abandonConnection(): void {
    // pg's own pipeline mode does the same on a read timeout; `connection` is not in its type definitions.
    (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }
}
