import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from './metrics-registry';

/** How a request ended: no error, errors the client caused (refusals, bad input), or a fault of ours. */
export type RequestOutcome = 'ok' | 'client_error' | 'server_error';

const registers = [metricsRegistry];

const requests = new Counter({
  name: 'graphql_requests_total',
  help: 'GraphQL requests by operation name and outcome (ok, client_error, server_error)',
  labelNames: ['operation', 'outcome'] as const,
  registers,
});
const duration = new Histogram({
  name: 'graphql_request_duration_seconds',
  help: 'GraphQL request duration (body read to response written) by operation name',
  labelNames: ['operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});
const statements = new Histogram({
  name: 'graphql_sql_statements_per_request',
  help: 'SQL statements a GraphQL request issued (transaction control excluded), by operation name',
  labelNames: ['operation'] as const,
  buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
  registers,
});
const errors = new Counter({
  name: 'graphql_errors_total',
  help: 'GraphQL errors in responses, by extensions.code',
  labelNames: ['code'] as const,
  registers,
});

// Label objects made once per operation (the set is bounded by operationLabel), not per request.
interface OperationLabels {
  operation: { operation: string };
  outcomes: Record<RequestOutcome, { operation: string; outcome: RequestOutcome }>;
}
const labelsByOperation = new Map<string, OperationLabels>();

function labelsOf(operation: string): OperationLabels {
  let labels = labelsByOperation.get(operation);
  if (!labels) {
    labels = {
      operation: { operation },
      outcomes: {
        ok: { operation, outcome: 'ok' },
        client_error: { operation, outcome: 'client_error' },
        server_error: { operation, outcome: 'server_error' },
      },
    };
    labelsByOperation.set(operation, labels);
  }
  return labels;
}

// extensions.code values are ours (and Apollo's), but a label must stay bounded whatever happens.
const CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

/** Records one finished GraphQL request (`operation` is already a bounded label: see operationLabel). */
export function recordRequest(operation: string, outcome: RequestOutcome, seconds: number, statementCount: number, errorCodes: readonly string[] | undefined): void {
  const labels = labelsOf(operation);
  requests.inc(labels.outcomes[outcome]);
  duration.observe(labels.operation, seconds);
  statements.observe(labels.operation, statementCount);
  if (errorCodes) for (const code of errorCodes) errors.inc({ code: CODE.test(code) ? code : 'OTHER' });
}
