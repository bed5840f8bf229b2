import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../../src/core/context/request-context';
import { MemberDirectoryService } from '../../src/memberships/member-directory.service';
import { MEMBER_COUNT, MEMBER_PAGE } from './floor-queries';
import { CursorCodec } from '../../src/core/pagination/cursor-codec';
import { KeysetPaginator } from '../../src/core/pagination/keyset-paginator';

/** One statement of a Members page under EXPLAIN (ANALYZE, BUFFERS). */
export interface ExplainedStatement {
  sql: string;
  plan: string;
  executionMs: number;
  planningMs: number;
  /** Shared buffers the statement touched (hit + read), from the plan's top node. */
  buffers: number;
}

/** Every statement of one Members page, as the service or the floor runs it. */
export interface ExplainedPage {
  statements: ExplainedStatement[];
  executionMs: number;
  buffers: number;
}

interface Statement {
  sql: string;
  parameters: unknown[];
}

async function explain(client: Client, { sql, parameters }: Statement): Promise<ExplainedStatement> {
  await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters); // warms the cache; the second one is kept
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters);
  const plan = rows.map((row) => row['QUERY PLAN'] as string).join('\n');
  const number = (pattern: RegExp) => Number(pattern.exec(plan)?.[1] ?? NaN);
  const top = /Buffers: shared((?: \w+=\d+)+)/.exec(plan)?.[1] ?? '';
  const buffers = [...top.matchAll(/(hit|read)=(\d+)/g)].reduce((sum, match) => sum + Number(match[2]), 0);
  return { sql: sql.replace(/\s+/g, ' ').trim(), plan, executionMs: number(/Execution Time: ([\d.]+) ms/), planningMs: number(/Planning Time: ([\d.]+) ms/), buffers };
}

function page(statements: ExplainedStatement[]): ExplainedPage {
  return { statements, executionMs: statements.reduce((sum, one) => sum + one.executionMs, 0), buffers: statements.reduce((sum, one) => sum + one.buffers, 0) };
}

/**
 * The service's own statements for a Members page (first 50, default order), captured by running its
 * MemberDirectoryService over a data source that records each statement as it passes it to PostgreSQL.
 */
async function serviceStatements(client: Client, organisationId: string, search?: string): Promise<Statement[]> {
  const captured: Statement[] = [];
  const dataSource = {
    query: async (sql: string, parameters: unknown[] = []) => {
      captured.push({ sql, parameters });
      return (await client.query(sql, parameters)).rows;
    },
  } as unknown as DataSource;
  const primed = { prime: () => undefined };
  const ctx = { loaders: { userById: primed, rolesByMembershipId: primed, teamPlacesByMembershipId: primed, teamById: primed } } as unknown as RequestContext;
  const paginator = new KeysetPaginator(dataSource, new CursorCodec(dataSource));
  await new MemberDirectoryService(dataSource, paginator).list(ctx, organisationId, { first: 50, filter: search ? { search } : null });
  // The members statements only (not the cursor key's one-time load).
  return captured.filter((statement) => statement.sql.includes('memberships'));
}

function floorStatements(organisationId: string, search?: string): Statement[] {
  const pattern = search ? `%${search}%` : null;
  return [
    { sql: MEMBER_PAGE(pattern !== null), parameters: pattern ? [organisationId, 51, pattern] : [organisationId, 51] },
    { sql: MEMBER_COUNT(pattern !== null), parameters: pattern ? [organisationId, pattern] : [organisationId] },
  ];
}

/** EXPLAIN (ANALYZE, BUFFERS) of the page statements of the service (the page's list itself) and of the floor. */
export async function explainMembersPage(client: Client, organisationId: string, search?: string): Promise<{ service: ExplainedPage; floor: ExplainedPage }> {
  const service: ExplainedStatement[] = [];
  for (const statement of await serviceStatements(client, organisationId, search)) service.push(await explain(client, statement));
  const floor: ExplainedStatement[] = [];
  for (const statement of floorStatements(organisationId, search)) floor.push(await explain(client, statement));
  return { service: page(service), floor: page(floor) };
}
