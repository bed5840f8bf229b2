import type http from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Level } from 'pino';
import { pinoHttp } from 'pino-http';
import { createRequestScope, runInRequestScope, type RequestScope } from '../context/request-scope';
import { logger } from '../logger';
import { operationLabel } from './operation-label';
import { requestIdFrom } from './request-id';
import { recordRequest, type RequestOutcome } from './request-metrics';

const SCOPE = Symbol('request scope');
const SUMMARY = Symbol('request summary');

type ObservedRequest = http.IncomingMessage & { [SCOPE]?: RequestScope };
type ObservedResponse = http.ServerResponse & { [SUMMARY]?: RequestSummary };

/** What the request's log line says (never tokens, secrets, emails or SQL parameters). */
interface RequestSummary {
  requestId: string;
  operation: string | null | undefined;
  principalId: string | undefined;
  organisationIds: string[] | undefined;
  status: number;
  durationMs: number;
  statements: number;
  errorCodes: string[] | undefined;
  traceId: string | undefined;
  outcome: RequestOutcome;
}

// Faults of ours, whatever the HTTP status (GraphQL answers 200 with errors).
const SERVER_ERROR_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);
const MAX_LOGGED_OPERATION_CHARS = 100;

function outcomeOf(status: number, errorCodes: readonly string[] | undefined): RequestOutcome {
  if (status >= 500 || errorCodes?.some((code) => SERVER_ERROR_CODES.has(code))) return 'server_error';
  return status >= 400 || (errorCodes !== undefined && errorCodes.length > 0) ? 'client_error' : 'ok';
}

/**
 * Computed once when the response is done (or the client went away), and recorded in the metrics then:
 * pino-http asks for the line's level first, whatever the logger's level, so metrics never depend on it.
 */
function summaryOf(req: ObservedRequest, res: ObservedResponse): RequestSummary {
  const known = res[SUMMARY];
  if (known) return known;
  const scope = req[SCOPE] as RequestScope;
  const status = res.statusCode;
  const durationMs = performance.now() - scope.startedAt;
  const summary: RequestSummary = {
    requestId: scope.requestId,
    operation: typeof scope.operationName === 'string' ? scope.operationName.slice(0, MAX_LOGGED_OPERATION_CHARS) : scope.operationName,
    principalId: scope.principalId,
    organisationIds: scope.organisationIds ? [...scope.organisationIds] : undefined,
    status,
    durationMs: Math.round(durationMs * 10) / 10,
    statements: scope.statements,
    errorCodes: scope.errorCodes,
    traceId: scope.traceId,
    outcome: outcomeOf(status, scope.errorCodes),
  };
  res[SUMMARY] = summary;
  recordRequest(operationLabel(scope.operationName), summary.outcome, durationMs / 1000, summary.statements, scope.errorCodes);
  return summary;
}

function levelOf(req: ObservedRequest, res: ObservedResponse): Level {
  const summary = summaryOf(req, res);
  if (summary.outcome === 'server_error') return 'error';
  // Refusals, escalation attempts included (services refuse them with FORBIDDEN).
  return summary.errorCodes?.includes('FORBIDDEN') ? 'warn' : 'info';
}

function lineOf(req: ObservedRequest, res: ObservedResponse): Omit<RequestSummary, 'outcome'> {
  const { outcome: _outcome, ...line } = summaryOf(req, res);
  return line;
}

/**
 * The observation of each GraphQL request, in two middlewares:
 * - `start` (first): takes or makes the request id (echoed as `x-request-id`), opens the request scope,
 *   and writes one log line when the response is done (pino-http): request id, operation, principal id,
 *   organisations touched, status, duration, SQL statements, error codes; level `error` for faults of
 *   ours, `warn` for refusals, `info` otherwise. The same moment records the request metrics.
 * - `enterScope` (after the body is read, whose stream events would lose it): runs the rest of the
 *   request, authentication included, in the scope, so every log line carries the request id.
 */
export function createRequestObserver(): { start: RequestHandler; enterScope: RequestHandler } {
  const httpLogger = pinoHttp<ObservedRequest, ObservedResponse>({
    logger,
    genReqId(req, res) {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      req[SCOPE] = createRequestScope(requestId);
      res.setHeader('x-request-id', requestId);
      return requestId;
    },
    // The line carries only the summary: no headers (tokens), no body, no query string.
    wrapSerializers: false,
    serializers: { req: () => undefined, res: () => undefined },
    quietResLogger: true,
    customLogLevel: levelOf,
    customSuccessObject: lineOf,
    customErrorObject: lineOf,
    // Preflights are not GraphQL requests: no line, no metrics.
    autoLogging: { ignore: (req) => req.method === 'OPTIONS' },
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
    customErrorMessage: () => 'request failed',
  });
  return {
    start: httpLogger as unknown as RequestHandler,
    enterScope(req: Request, _res: Response, next: NextFunction) {
      runInRequestScope((req as ObservedRequest)[SCOPE] as RequestScope, next);
    },
  };
}
