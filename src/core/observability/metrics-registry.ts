import { collectDefaultMetrics, Registry } from 'prom-client';

/** The process's Prometheus registry: every metric of the service, served at `GET /metrics`. */
export const metricsRegistry = new Registry();

let processMetricsOn = false;

/** prom-client's process and Node.js metrics (CPU, memory, event loop lag, GC, handles): once per process. */
export function collectProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}
