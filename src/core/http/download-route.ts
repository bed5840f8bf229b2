import { once } from 'node:events';
import type { Request, RequestHandler, Response } from 'express';
import { stringify } from 'csv-stringify';
import type { Authenticator } from '../auth/authenticator';
import type { AppServices } from '../context/app-services';
import { RequestContext } from '../context/request-context';
import { currentRequestScope } from '../context/request-scope';
import { AppError, ErrorCode, unauthenticated, unavailableFromDatabase } from '../errors';
import { logger } from '../logger';

/** A file to stream: records batch by batch, written with backpressure. */
export interface Download {
  format: 'csv' | 'ndjson';
  /** The attachment's file name. */
  filename: string;
  /** CSV: the header row (records are arrays of cells in this order). NDJSON: unused (records are objects). */
  columns?: readonly string[];
  /** The records (CSV: arrays of cells; NDJSON: objects), read batch by batch (a statement per batch): memory stays at one batch. */
  records(signal: AbortSignal): AsyncIterable<unknown>;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.MFA_REQUIRED]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection): quote it as text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** A CSV cell: empty for null, ISO for dates, and text a spreadsheet would run as a formula prefixed with `'`. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * An authenticated download over HTTP (`GET`), the one mechanism of the service's file routes: the same
 * bearer token as the API (401 without a good one), then `open` decides what to send with the request's
 * context, where a refusal is an error from src/core/errors answered as a JSON body carrying its code
 * (400 BAD_USER_INPUT, 403 FORBIDDEN / MFA_REQUIRED, 404 NOT_FOUND, 503). Then the records stream as CSV
 * (csv-stringify, header row) or NDJSON, with backpressure; a client that goes away stops the reading,
 * and a failure once streaming has started cuts the response (a truncated file, never a wrong one).
 */
export function downloadRoute(
  what: string,
  services: AppServices,
  authenticator: Authenticator,
  open: (ctx: RequestContext, request: Request) => Promise<Download>,
): RequestHandler {
  return async (request: Request, response: Response): Promise<void> => {
    let download: Download;
    try {
      const { principal } = await authenticator.authenticate(request.headers.authorization);
      if (!principal) throw unauthenticated();
      const ctx = new RequestContext(services, currentRequestScope()?.requestId ?? what, principal);
      download = await open(ctx, request);
    } catch (error) {
      refuse(what, response, error);
      return;
    }
    response.status(200);
    response.setHeader('content-type', download.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="${download.filename}"`);
    response.setHeader('cache-control', 'no-store');
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    try {
      if (download.format === 'csv') await streamCsv(download, response, gone.signal);
      else await streamNdjson(download, response, gone.signal);
    } catch (error) {
      if (!gone.signal.aborted) logger.error({ err: error }, `${what} failed while streaming`);
      response.destroy();
    }
  };
}

async function streamCsv(download: Download, response: Response, signal: AbortSignal): Promise<void> {
  const csv = stringify({ header: true, columns: [...(download.columns ?? [])] });
  csv.pipe(response);
  try {
    for await (const record of download.records(signal)) {
      if (!csv.write((record as unknown[]).map(csvCell))) await once(csv, 'drain', { signal });
      signal.throwIfAborted();
    }
    csv.end();
  } catch (error) {
    csv.destroy();
    throw error;
  }
}

async function streamNdjson(download: Download, response: Response, signal: AbortSignal): Promise<void> {
  for await (const record of download.records(signal)) {
    if (!response.write(`${JSON.stringify(record)}\n`)) await once(response, 'drain', { signal });
    signal.throwIfAborted();
  }
  response.end();
}

function refuse(what: string, response: Response, error: unknown): void {
  const known = error instanceof AppError ? error : unavailableFromDatabase(error);
  const code = known?.code;
  const status = code ? STATUS[code] : undefined;
  if (!code || !status) {
    logger.error({ err: error }, `${what} failed`);
    response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
    return;
  }
  const { extensions } = known as AppError;
  response.status(status).json({ errors: [{ message: (known as AppError).message, extensions: { ...extensions, code } }] });
}
