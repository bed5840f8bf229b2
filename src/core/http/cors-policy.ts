import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for dashboards served from another origin: the origins of CORS_ORIGINS only (exact match), for
 * GET and POST, with bearer tokens in headers (no cookies, so no credentials mode). A preflight from any
 * other origin is answered 403 with no CORS header, so the browser refuses the call; a simple request
 * from such an origin gets no CORS header either (the browser hides the answer).
 */
export function corsPolicy(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  const handle = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST'],
    // The request id the service echoes, so dashboards can quote it.
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
  return (request, response, next) => {
    const origin = request.headers.origin;
    if (request.method === 'OPTIONS' && origin !== undefined && !allowed.has(origin)) {
      response.status(403).json({ errors: [{ message: 'This origin may not call the API (CORS_ORIGINS)', extensions: { code: 'FORBIDDEN' } }] });
      return;
    }
    handle(request, response, next);
  };
}
