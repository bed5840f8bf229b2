import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { logger } from '../logger';
import { traceSqlStatements } from './sql-tracing';
import type { TracingConfig } from './tracing-config';
import { traceRequests } from './tracing-middleware';
import { tracingPlugin } from './tracing-plugin';

/**
 * Tracing as started. This module (and the OpenTelemetry SDK) is loaded only when tracing is on: see
 * startObservability.
 */
export interface Tracing {
  readonly tracer: Tracer;
  /** Express middleware opening each request's span (see tracing-middleware). */
  readonly requestMiddleware: RequestHandler;
  /** Apollo plugin naming that span after the operation and adding slow resolvers' spans. */
  readonly apolloPlugin: ApolloServerPlugin;
  /** Traces the SQL statements of `dataSource`; the returned function stops that. */
  traceSql(dataSource: DataSource): () => void;
  /** Exports what is pending and unregisters the global provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

/** Where spans go, as the OTLP specification says: the traces endpoint as is, else `<endpoint>/v1/traces`. */
function tracesUrl(config: TracingConfig): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return config.OTEL_EXPORTER_OTLP_ENDPOINT && `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts OpenTelemetry tracing (when configured, or with a test's exporter): spans exported over
 * OTLP/HTTP in batches to the configured endpoint, W3C `traceparent` accepted, the sampler from
 * `OTEL_TRACES_SAMPLER`, the exporter's headers, timeout and compression from the standard
 * `OTEL_EXPORTER_OTLP_*` variables (the SDK reads those itself).
 */
export function startTracing(config: TracingConfig, testExporter?: SpanExporter): Tracing {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] })) // OTEL_RESOURCE_ATTRIBUTES
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }));
  const processor = testExporter ? new SimpleSpanProcessor(testExporter) : new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(config) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the AsyncLocalStorage context manager (a span's children find it wherever they run) and the
  // W3C trace-context and baggage propagators.
  provider.register();
  const tracer = provider.getTracer('access-subgraph');
  return {
    tracer,
    requestMiddleware: traceRequests(tracer),
    apolloPlugin: tracingPlugin(tracer, config.OTEL_RESOLVER_SPAN_THRESHOLD_MS),
    traceSql: (dataSource) => traceSqlStatements(dataSource, tracer),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // The collector is down or refuses: the last spans are lost, the service still stops.
        logger.warn({ err: error }, 'spans not exported at shutdown');
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
