import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { pgPoolOf } from './pg-pool';

const TRACED = Symbol('sql statements traced');
const MAX_QUERY_TEXT = 2_000;

type TracedClient = PoolClient & { [TRACED]?: true };

function fail(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute(ATTR_ERROR_TYPE, (error as { code?: string })?.code ?? (error as Error)?.name ?? 'error');
  span.end();
}

/**
 * Gives each pooled connection a `query` that opens a span per statement, as a child of the span active
 * where the statement was sent (inside a traced request; statements elsewhere, such as the outbox
 * worker's, are not traced). The span carries the statement text with its placeholders, never the values.
 */
function traceClient(client: TracedClient, tracer: Tracer): void {
  client[TRACED] = true;
  const query = client.query as (...args: unknown[]) => unknown;
  client.query = function tracedQuery(this: PoolClient, ...args: unknown[]) {
    const parent = context.active();
    if (!trace.getSpan(parent)) return query.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
    const operation = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    const span = tracer.startSpan(
      operation,
      { kind: SpanKind.CLIENT, attributes: { [ATTR_DB_SYSTEM_NAME]: 'postgresql', [ATTR_DB_OPERATION_NAME]: operation, [ATTR_DB_QUERY_TEXT]: text.slice(0, MAX_QUERY_TEXT) } },
      parent,
    );
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (error) {
      fail(span, error);
      throw error;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
      (result as Promise<unknown>).then(() => span.end(), (error: unknown) => fail(span, error));
    } else {
      span.end(); // callback or stream form (TypeORM uses neither on the request path): the call only
    }
    return result;
  } as PoolClient['query'];
}

/** Traces the SQL statements of `dataSource` from now on (each connection once, when first checked out). */
export function traceSqlStatements(dataSource: DataSource, tracer: Tracer): () => void {
  const pool = pgPoolOf(dataSource);
  if (!pool) return () => undefined;
  const onAcquire = (client: TracedClient) => {
    if (!client[TRACED]) traceClient(client, tracer);
  };
  pool.on('acquire', onAcquire);
  return () => pool.off('acquire', onAcquire);
}
