import { transactionRetryCount } from '../src/core/database/transaction';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

const CREATE_ROLE = contractOperation('CreateRole');
const DELETE_ROLE = contractOperation('DeleteRole');
const ASSIGN_ROLES = contractOperation('AssignRoles');
const INVITE = contractOperation('InviteUser');
const CREATE_TEAM = contractOperation('CreateTeam');
const SET_TEAM_ROLES = contractOperation('SetTeamRoles');

const ROUNDS = 50;
// What a client may get when its change lost a race: never INTERNAL_SERVER_ERROR.
const LOSING_CODES = ['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT'];

type Outcome = { operation: string; status: number; code: string | undefined };

describe('deleteRole racing assignRoles, inviteUser and setTeamRoles', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let membershipIds: string[];
  let teamId: string;

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    membershipIds = [];
    for (let index = 0; index < 4; index += 1) membershipIds.push((await memberWith(service, organisation.id, ['viewer'])).membershipId);
    const team = await service.graphql(CREATE_TEAM, { input: { organisationId: organisation.id, name: 'Racers' } }, organisation.owner.token);
    teamId = team.data.createTeam.id;
  });
  afterAll(() => service.stop());

  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it(`${ROUNDS} rounds: no 500, only committed changes audited, no link to a deleted role`, async () => {
    const token = organisation.owner.token;
    const outcomes: Outcome[] = [];
    const retriesBefore = transactionRetryCount();
    for (let round = 0; round < ROUNDS; round += 1) {
      const created = await service.graphql(CREATE_ROLE, { input: { organisationId: organisation.id, name: `Racing ${round}`, description: '', permissions: ['members:read'] } }, token);
      const roleId: string = created.data.createRole.id;
      const operations: [string, () => Promise<{ status: number; body: any }>][] = [
        ['deleteRole', () => service.request(DELETE_ROLE, { id: roleId }, token)],
        ['assignRoles ADD', () => service.request(ASSIGN_ROLES, { input: { organisationId: organisation.id, membershipIds: membershipIds.slice(0, 2), roleIds: [roleId], mode: 'ADD' } }, token)],
        ['assignRoles REPLACE', () => service.request(ASSIGN_ROLES, { input: { organisationId: organisation.id, membershipIds: membershipIds.slice(1), roleIds: [roleId], mode: 'REPLACE' } }, token)],
        ['inviteUser', () => service.request(INVITE, { input: { organisationId: organisation.id, email: `racer-${round}@example.com`, roleIds: [roleId] } }, token)],
        ['setTeamRoles', () => service.request(SET_TEAM_ROLES, { teamId, roleIds: [roleId] }, token)],
      ];
      // Every round a different interleaving: random start order and offsets of a few milliseconds.
      const answers = await Promise.all(
        operations
          .sort(() => Math.random() - 0.5)
          .map(async ([operation, send]) => {
            await pause(Math.random() * 4);
            const { status, body } = await send();
            return { operation, status, code: body.errors?.[0]?.extensions?.code as string | undefined };
          }),
      );
      outcomes.push(...answers);
    }

    const summary: Record<string, Record<string, number>> = {};
    for (const { operation, code } of outcomes) {
      summary[operation] ??= {};
      summary[operation][code ?? 'ok'] = (summary[operation][code ?? 'ok'] ?? 0) + 1;
    }
    const retries = transactionRetryCount() - retriesBefore;
    console.log(`races over ${ROUNDS} rounds: ${JSON.stringify(summary)}; transactions retried: ${retries}`);

    expect(outcomes.filter((outcome) => outcome.status >= 500)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.code !== undefined && !LOSING_CODES.includes(outcome.code))).toEqual([]);
    // Every role was deleted by its own deleteRole (nothing else deletes roles).
    expect(summary.deleteRole).toEqual({ ok: ROUNDS });

    // The database is consistent: no link to a role that is gone, and one audit event per committed change.
    const [dangling] = await sql(
      `SELECT (SELECT count(*) FROM membership_roles l WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = l.role_id))::int
            + (SELECT count(*) FROM team_roles l WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = l.role_id))::int
            + (SELECT count(*) FROM invitation_roles l WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = l.role_id))::int AS count`,
    );
    expect(dangling.count).toBe(0);
    const [{ count: racingRolesLeft }] = await sql(`SELECT count(*)::int AS count FROM roles WHERE organisation_id = $1 AND name LIKE 'Racing %'`, [organisation.id]);
    expect(racingRolesLeft).toBe(0);
    const audited: { action: string; count: number }[] = await sql(
      // assignRoles records one event per member, all with its request's id: counted per request.
      `SELECT action, count(DISTINCT CASE WHEN action = 'member.roles-assigned' THEN request_id ELSE id::text END)::int AS count FROM audit_events
       WHERE organisation_id = $1 AND action IN ('role.deleted', 'member.roles-assigned', 'invitation.created', 'team.roles-set') GROUP BY action`,
      [organisation.id],
    );
    const auditCount = (action: string) => audited.find((row) => row.action === action)?.count ?? 0;
    const successes = (...operations: string[]) => outcomes.filter((outcome) => operations.includes(outcome.operation) && outcome.code === undefined).length;
    expect(auditCount('role.deleted')).toBe(successes('deleteRole'));
    expect(auditCount('member.roles-assigned')).toBe(successes('assignRoles ADD', 'assignRoles REPLACE'));
    expect(auditCount('invitation.created')).toBe(successes('inviteUser'));
    // setTeamRoles records an event even when the grants do not change; the team was set up without one.
    expect(auditCount('team.roles-set')).toBe(successes('setTeamRoles'));
    const [{ count: invitations }] = await sql('SELECT count(*)::int AS count FROM invitations WHERE organisation_id = $1', [organisation.id]);
    expect(invitations).toBe(successes('inviteUser'));
  }, 180_000);
});
