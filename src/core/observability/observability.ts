import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import { observeDatabase } from './database-metrics';
import { startMetricsServer, type MetricsServer } from './metrics-endpoint';
import { collectProcessMetrics } from './metrics-registry';
import type { Tracing } from './tracing';
import { tracingConfigured } from './tracing-config';

/** What the service runs for observability beyond its HTTP hooks (see createApp). */
export interface Observability {
  /** Null when tracing is off. */
  readonly tracing: Tracing | null;
  /** The port of `/metrics` when METRICS_PORT is set (0 there picks one), else undefined: it is on the API's port. */
  readonly metricsPort: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the process metrics, the database pool and outbox gauges for `dataSource`, tracing (when
 * configured, or with a test's exporter) with its SQL spans, and the metrics server of METRICS_PORT.
 */
export async function startObservability(config: AppConfig, dataSource: DataSource, testSpanExporter?: SpanExporter): Promise<Observability> {
  collectProcessMetrics();
  const stopObservingDatabase = observeDatabase(dataSource);
  // The OpenTelemetry SDK is loaded only when tracing is on: off, it costs neither start-up nor memory.
  const tracing = testSpanExporter || tracingConfigured(config) ? (await import('./tracing')).startTracing(config, testSpanExporter) : null;
  const stopTracingSql = tracing ? tracing.traceSql(dataSource) : () => undefined;
  const stopObserving = async () => {
    stopTracingSql();
    stopObservingDatabase();
    await tracing?.shutdown();
  };
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.METRICS_PORT !== undefined) metricsServer = await startMetricsServer(config.METRICS_PORT);
  } catch (error) {
    await stopObserving();
    throw error;
  }
  return {
    tracing,
    metricsPort: metricsServer?.port,
    async stop() {
      await metricsServer?.stop();
      await stopObserving();
    },
  };
}
