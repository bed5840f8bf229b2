import type { NextFunction, Request, Response } from 'express';
import { currentRequestScope, type RequestScope } from '../context/request-scope';
import { serviceUnavailable, UnavailableReason } from '../errors';

/**
 * Express middleware, inside the request scope: gives the request its deadline (REQUEST_TIMEOUT_MS from
 * its start) and answers it 503 SERVICE_UNAVAILABLE (`reason: TIMEOUT`) when it is still running then.
 * `runTransaction` refuses to start or commit past the deadline and cuts statements at it, so what the
 * abandoned request was writing is rolled back. A request that already committed a write is not
 * abandoned (a TIMEOUT answer promises that nothing was written): it completes and answers normally.
 */
export function requestDeadline(timeoutMs: number) {
  return (_request: Request, response: Response, next: NextFunction): void => {
    const scope = currentRequestScope();
    if (!scope) return next();
    scope.deadline = scope.startedAt + timeoutMs;
    const timer = setTimeout(() => abandon(scope, response), Math.max(0, scope.deadline - performance.now()));
    response.once('close', () => clearTimeout(timer));
    next();
  };
}

function abandon(scope: RequestScope, response: Response): void {
  if (response.headersSent || scope.committed) return;
  scope.timedOut = true;
  const error = serviceUnavailable(UnavailableReason.TIMEOUT);
  response.status(503).json({ errors: [{ message: error.message, extensions: error.extensions }] });
  // Apollo answers later into the finished response: its writes go nowhere (instead of throwing).
  const ignore = () => response;
  Object.assign(response, { setHeader: ignore, writeHead: ignore, write: () => true, end: ignore, send: ignore });
}
