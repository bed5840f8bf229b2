import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { ApolloServerPlugin, GraphQLRequestExecutionListener, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLResolveInfo } from 'graphql';

// Attribute names of OpenTelemetry's GraphQL conventions (still "development", so not imported).
const OPERATION_NAME = 'graphql.operation.name';
const OPERATION_TYPE = 'graphql.operation.type';
const SERVER_ERROR_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

function pathOf(info: GraphQLResolveInfo): string {
  const keys: (string | number)[] = [];
  for (let path: GraphQLResolveInfo['path'] | undefined = info.path; path; path = path.prev) keys.push(path.key);
  return keys.reverse().join('.');
}

/**
 * Names the request's span after its operation (`query Members`), marks it failed on a fault of ours,
 * and adds a span for every resolver that took at least OTEL_RESOLVER_SPAN_THRESHOLD_MS, as a child of
 * the operation's span. Installed only when tracing is on: Apollo's per-field hook costs on every field.
 */
export function tracingPlugin(tracer: Tracer, resolverThresholdMs: number): ApolloServerPlugin {
  const execution: GraphQLRequestExecutionListener<any> = {
    willResolveField({ info }) {
      const startedAt = performance.now();
      const parent = context.active();
      return (error) => {
        const endedAt = performance.now();
        if (endedAt - startedAt < resolverThresholdMs) return;
        const span = tracer.startSpan(
          `${info.parentType.name}.${info.fieldName}`,
          { startTime: startedAt, attributes: { 'graphql.field.name': info.fieldName, 'graphql.field.type': String(info.returnType), 'graphql.field.path': pathOf(info) } },
          parent,
        );
        if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end(endedAt);
      };
    },
  };
  const listener: GraphQLRequestListener<any> = {
    async didResolveOperation({ operationName, operation }) {
      const span = trace.getActiveSpan();
      if (!span || !operation) return;
      span.updateName(operationName ? `${operation.operation} ${operationName}` : operation.operation);
      span.setAttribute(OPERATION_TYPE, operation.operation);
      if (operationName) span.setAttribute(OPERATION_NAME, operationName);
    },
    async executionDidStart() {
      return execution;
    },
    async willSendResponse({ response }) {
      const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
      const span = errors ? trace.getActiveSpan() : undefined;
      if (!span || !errors) return;
      const codes = errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
      span.setAttribute('graphql.error.codes', codes);
      if (codes.some((code) => SERVER_ERROR_CODES.has(code))) span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
