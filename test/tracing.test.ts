import { randomBytes } from 'node:crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';
import { pgPoolOf } from '../src/core/observability/pg-pool';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

const MEMBERS = contractOperation('Members');

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The spans of one trace, once its server span (the operation, ended when the response is done) is exported. */
async function traceOf(exporter: InMemorySpanExporter, traceId: string): Promise<ReadableSpan[]> {
  const spans = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  for (let waited = 0; !spans().some((span) => span.kind === SpanKind.SERVER); waited += 10) {
    if (waited > 5_000) throw new Error(`no operation span in trace ${traceId}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return spans();
}

async function seed(service: TestService): Promise<{ organisation: TestOrganisation; owner: SignedInUser }> {
  const admin = await platformAdmin(service);
  const owner = await signIn(service);
  const organisation = await createOrganisation(service, admin, owner);
  for (let index = 0; index < 3; index += 1) await memberWith(service, organisation.id, ['member']);
  return { organisation, owner };
}

describe('OpenTelemetry tracing', () => {
  test('a request with a W3C traceparent yields one connected trace: operation, resolver and SQL spans', async () => {
    const exporter = new InMemorySpanExporter();
    const service = await startTestService({ OTEL_RESOLVER_SPAN_THRESHOLD_MS: '0' }, { spanExporter: exporter });
    try {
      const { organisation, owner } = await seed(service);
      const traceId = hex(16);
      const callerSpanId = hex(8);
      const response = await service.graphql(MEMBERS, { organisationId: organisation.id, first: 50 }, owner.token, { traceparent: `00-${traceId}-${callerSpanId}-01` });
      expect(response.errors).toBeUndefined();
      const spans = await traceOf(exporter, traceId);

      const operations = spans.filter((span) => span.kind === SpanKind.SERVER);
      expect(operations).toHaveLength(1);
      const [operation] = operations;
      expect(operation.name).toBe('query Members');
      expect(operation.parentSpanContext?.spanId).toBe(callerSpanId);
      expect(operation.attributes).toMatchObject({ 'graphql.operation.name': 'Members', 'graphql.operation.type': 'query', 'http.response.status_code': 200 });

      const resolvers = spans.filter((span) => span.attributes['graphql.field.path'] !== undefined);
      expect(resolvers.map((span) => span.name)).toEqual(expect.arrayContaining(['Query.organisation', 'Organisation.members']));
      expect(resolvers.map((span) => span.attributes['graphql.field.path'])).toContain('organisation.members.edges.0.node');

      const statements = spans.filter((span) => span.kind === SpanKind.CLIENT);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.attributes['db.system.name']).toBe('postgresql');
        // The statement's text with its placeholders, never the values bound to them.
        expect(String(statement.attributes['db.query.text'])).not.toContain(organisation.id);
      }

      // Connected: one trace whose every other span is a child of the operation's span.
      for (const span of [...resolvers, ...statements]) expect(span.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
      expect(resolvers.length + statements.length + 1).toBe(spans.length);
    } finally {
      await service.stop();
    }
  });

  test('resolvers under the threshold get no span; without traceparent the operation starts a trace; statements outside requests are not traced', async () => {
    const exporter = new InMemorySpanExporter();
    const service = await startTestService({ OTEL_RESOLVER_SPAN_THRESHOLD_MS: '60000' }, { spanExporter: exporter });
    try {
      const { organisation, owner } = await seed(service);
      exporter.reset();
      await service.database.dataSource.query('SELECT 1');
      expect(exporter.getFinishedSpans()).toEqual([]);

      expect((await service.graphql(MEMBERS, { organisationId: organisation.id, first: 50 }, owner.token)).errors).toBeUndefined();
      const operation = await (async () => {
        for (let waited = 0; waited < 5_000; waited += 10) {
          const found = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER && span.name === 'query Members');
          if (found) return found;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error('no operation span');
      })();
      expect(operation.parentSpanContext).toBeUndefined();
      const spans = await traceOf(exporter, operation.spanContext().traceId);
      expect(spans.filter((span) => span.attributes['graphql.field.path'] !== undefined)).toEqual([]);
      expect(spans.filter((span) => span.kind === SpanKind.CLIENT).length).toBeGreaterThan(0);
    } finally {
      await service.stop();
    }
  });

  test("off unless configured: no tracer registered, connections keep pg's own query", async () => {
    const service = await startTestService();
    try {
      const { organisation, owner } = await seed(service);
      expect((await service.graphql(MEMBERS, { organisationId: organisation.id, first: 50 }, owner.token)).errors).toBeUndefined();
      expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
      const client = await (pgPoolOf(service.database.dataSource) as NonNullable<ReturnType<typeof pgPoolOf>>).connect();
      try {
        // The pool's own client class (pg-client.ts: client-side timeouts), never the tracing wrapper.
        expect(client.query).toBe(Object.getPrototypeOf(client).query);
        expect(client.query.name).not.toBe('tracedQuery');
      } finally {
        client.release();
      }
    } finally {
      await service.stop();
    }
  });
});
