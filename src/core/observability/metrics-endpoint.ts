import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../logger';
import { metricsRegistry } from './metrics-registry';

/** Answers a scrape: every metric in Prometheus's text format. */
export async function serveMetrics(_request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  try {
    const text = await metricsRegistry.metrics();
    response.writeHead(200, { 'content-type': metricsRegistry.contentType });
    response.end(text);
  } catch (error) {
    logger.error({ err: error }, 'metrics scrape failed');
    response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('metrics unavailable\n');
  }
}

export interface MetricsServer {
  port: number;
  stop(): Promise<void>;
}

/** A server of its own for `GET /metrics` (METRICS_PORT), so metrics are not exposed with the API. */
export async function startMetricsServer(port: number): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics') {
      void serveMetrics(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    throw new Error(`cannot listen on METRICS_PORT ${port}: ${error.message}`);
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
