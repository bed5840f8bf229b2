import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { AppConfig } from '../config';

/** Tracing as started: the tracer the service's spans come from, and how to stop it. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Resolvers that take at least this long get a span of their own. */
  readonly resolverThresholdMs: number;
  /** Exports what is pending and unregisters the global provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

type TracingConfig = Pick<
  AppConfig,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SDK_DISABLED' | 'OTEL_SERVICE_NAME' | 'OTEL_RESOLVER_SPAN_THRESHOLD_MS'
>;

/** Tracing is on when an OTLP endpoint is configured (and the SDK is not disabled). */
export function tracingConfigured(config: TracingConfig): boolean {
  return !config.OTEL_SDK_DISABLED && Boolean(config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts OpenTelemetry tracing when configured (or when a test hands an exporter): spans exported over
 * OTLP/HTTP in batches, W3C `traceparent` accepted, the sampler from `OTEL_TRACES_SAMPLER`, the exporter's
 * endpoint, headers and timeouts from the standard `OTEL_EXPORTER_OTLP_*` variables (the SDK reads them).
 * Null when off: then nothing of tracing is installed anywhere.
 */
export function startTracing(config: TracingConfig, testExporter?: SpanExporter): Tracing | null {
  if (!testExporter && !tracingConfigured(config)) return null;
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] })) // OTEL_RESOURCE_ATTRIBUTES
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }));
  const processor = testExporter ? new SimpleSpanProcessor(testExporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the AsyncLocalStorage context manager (a span's children find it wherever they run) and the
  // W3C trace-context and baggage propagators.
  provider.register();
  return {
    tracer: provider.getTracer('access-subgraph'),
    resolverThresholdMs: config.OTEL_RESOLVER_SPAN_THRESHOLD_MS,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
