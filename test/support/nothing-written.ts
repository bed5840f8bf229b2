import type { DataSource } from 'typeorm';

/** Every application table: a refused mutation must leave each of them as it was. */
export const APPLICATION_TABLES = [
  'organisations', 'users', 'memberships', 'membership_roles', 'roles', 'teams', 'team_members', 'team_roles',
  'invitations', 'invitation_roles', 'invitation_teams', 'email_outbox', 'audit_events', 'organisation_domains',
  'events', 'webhook_endpoints', 'webhook_deliveries', 'review_campaigns', 'review_items', 'elevation_requests',
];

async function snapshot(dataSource: DataSource, extra?: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const counts: Record<string, unknown> = {};
  for (const table of APPLICATION_TABLES) counts[table] = Number((await dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
  if (extra) counts.extra = await extra();
  return counts;
}

/**
 * Runs `work` and asserts that no application table gained or lost a row (and, with `extra`, that what it
 * reads did not change either: e.g. the state of rows an update would touch).
 */
export async function expectNothingWritten<T>(dataSource: DataSource, work: () => Promise<T>, extra?: () => Promise<unknown>): Promise<T> {
  const before = await snapshot(dataSource, extra);
  const result = await work();
  expect(await snapshot(dataSource, extra)).toEqual(before);
  return result;
}
