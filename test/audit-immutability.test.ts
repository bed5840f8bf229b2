import { QueryFailedError } from 'typeorm';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

/** The PostgreSQL error a statement fails with; fails the test if it succeeds. */
async function refusal(work: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(QueryFailedError);
    const driverError = (error as QueryFailedError).driverError as { code?: string; message: string };
    return { code: driverError.code, message: driverError.message };
  }
  throw new Error('the database accepted a statement it must refuse');
}

/**
 * The audit log is append-only in the database itself: whatever SQL the service (or anyone with its
 * role) sends, history cannot be edited, deleted or truncated; erasing a person pseudonymises the users
 * row instead, and the audit rows, which keep only ids, stay as they were.
 */
describe('audit log immutability (real database)', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let admin: SignedInUser;
  const sql = <T = any>(query: string, parameters: unknown[] = []): Promise<T[]> => service.database.dataSource.query(query, parameters);
  const snapshot = () => sql('SELECT id, organisation_id, actor_user_id, action, target_type, target_id, details, request_id, occurred_at FROM audit_events ORDER BY id');

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    admin = await memberWith(service, organisation.id, ['admin']);
    const created = await service.graphql(contractOperation('CreateTeam'), { input: { organisationId: organisation.id, name: 'Audited' } }, admin.token);
    expect(created.errors).toBeUndefined();
  });
  afterAll(() => service.stop());

  it('refuses UPDATE, DELETE and TRUNCATE (also cascading from organisations), and changes nothing', async () => {
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(2);
    const attempts: [string, string][] = [
      ['UPDATE', `UPDATE audit_events SET action = 'forged'`],
      ['UPDATE', `UPDATE audit_events SET details = '{}' WHERE organisation_id = '${organisation.id}'`],
      ['DELETE', 'DELETE FROM audit_events'],
      ['DELETE', `DELETE FROM audit_events WHERE action = 'team.created'`],
      ['TRUNCATE', 'TRUNCATE audit_events'],
      ['TRUNCATE', 'TRUNCATE organisations CASCADE'],
    ];
    for (const [operation, statement] of attempts) {
      const failure = await refusal(sql(statement));
      expect([statement, failure.message]).toEqual([statement, `audit events are immutable (${operation} refused)`]);
      expect(failure.code).toBe('23001');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses deleting an organisation or a user that audit events name (no cascade rewrites history)', async () => {
    expect((await refusal(sql('DELETE FROM organisations WHERE id = $1', [organisation.id]))).code).toBe('23503');
    expect((await refusal(sql('DELETE FROM users WHERE id = $1', [admin.userId]))).code).toBe('23503');
  });

  it('still appends', async () => {
    const [row] = await sql(`INSERT INTO audit_events (organisation_id, action, target_type) VALUES ($1, 'test.appended', 'Test') RETURNING id`, [organisation.id]);
    expect(row.id).toBeTruthy();
  });

  it('lets a person be erased by pseudonymising their users row: the audit rows keep their ids and stay unchanged', async () => {
    const before = await snapshot();
    expect(before.some((event) => event.actor_user_id === admin.userId)).toBe(true);
    // Audit details hold ids, never the person's address or name.
    const personal = await sql(`SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`, [admin.email]);
    expect(personal).toEqual([{ n: 0 }]);
    // The erasure design (README, "Audit log and erasure"): identity and contact details leave the users row.
    await sql(`UPDATE users SET email = NULL, email_verified = false, display_name = 'Erased user', issuer = NULL, subject = NULL, last_sign_in_at = NULL WHERE id = $1`, [admin.userId]);
    expect(await snapshot()).toEqual(before);
    const log = await service.graphql(
      `query($id: ID!) { organisation(id: $id) { auditLog(first: 100, filter: { action: "team.created" }) { edges { node { actor { id displayName } } } } } }`,
      { id: organisation.id },
      organisation.owner.token,
    );
    expect(log.errors).toBeUndefined();
    expect(log.data.organisation.auditLog.edges.map((edge: any) => edge.node.actor)).toEqual([{ id: admin.userId, displayName: 'Erased user' }]);
  });
});
