import type { AppConfig } from '../config';

/** The configuration tracing reads (the other OTEL_* variables are read by the SDK itself). */
export type TracingConfig = Pick<
  AppConfig,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SDK_DISABLED' | 'OTEL_SERVICE_NAME' | 'OTEL_RESOLVER_SPAN_THRESHOLD_MS'
>;

/** Tracing is on when an OTLP endpoint is configured (and the SDK is not disabled). */
export function tracingConfigured(config: TracingConfig): boolean {
  return !config.OTEL_SDK_DISABLED && Boolean(config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
