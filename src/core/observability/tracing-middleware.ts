import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { currentRequestScope } from '../context/request-scope';

/**
 * Opens the request's span (renamed after its operation once known, see tracing-plugin) as a child of
 * the caller's W3C `traceparent`, and runs the rest of the request with it active, so resolver and SQL
 * spans become its children. Installed only when tracing is on; runs inside the request scope.
 */
export function traceRequests(tracer: Tracer): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method} /graphql`,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_URL_PATH]: '/graphql' } },
      parent,
    );
    const scope = currentRequestScope();
    if (scope) {
      scope.traceId = span.spanContext().traceId;
      span.setAttribute('request.id', scope.requestId);
    }
    response.once('close', () => {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
