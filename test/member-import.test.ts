import { randomBytes } from 'node:crypto';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const IMPORT = contractOperation('ImportMembers');
const VIEWER = contractOperation('Viewer');

const HEADER = 'email,name,initial_roles,teams';

interface Row {
  line: number;
  email: string;
  status: string;
  errors: string[];
}

describe('importMembers', () => {
  let service: TestService;
  let platform: SignedInUser;
  let prefix = '';
  let counter = 0;
  /** A fresh address for each call, so tests never meet each other's people. */
  const email = (label = 'person') => `${label}-${prefix}-${(counter += 1)}@example.com`;

  beforeAll(async () => {
    service = await startTestService();
    platform = await platformAdmin(service);
    prefix = randomBytes(3).toString('hex');
  });
  afterAll(() => service.stop());

  const sql = <T = any>(query: string, parameters: unknown[] = []): Promise<T[]> => service.database.dataSource.query(query, parameters);
  const run = (organisationId: string, csv: string, dryRun: boolean, token: string): Promise<GraphQLResponse> =>
    service.graphql(IMPORT, { input: { organisationId, csv, dryRun } }, token);

  /** The report of a run that must not fail as a whole. */
  async function report(organisationId: string, csv: string, dryRun: boolean, token: string): Promise<{ dryRun: boolean; created: number; updated: number; rows: Row[] }> {
    const response = await run(organisationId, csv, dryRun, token);
    expect(response.errors).toBeUndefined();
    return response.data.importMembers;
  }

  async function organisationWithAdmin(): Promise<{ organisation: TestOrganisation; admin: SignedInUser & { membershipId: string } }> {
    const organisation = await createOrganisation(service, platform);
    return { organisation, admin: await memberWith(service, organisation.id, ['admin']) };
  }

  async function customRole(organisationId: string, name: string, permissions: string[]): Promise<string> {
    const [row] = await sql('INSERT INTO roles (organisation_id, name, permissions) VALUES ($1, $2, $3) RETURNING id', [organisationId, name, permissions]);
    return row.id;
  }

  /** A team, created in the database (the team mutations have suites of their own), granting built-in roles by key. */
  async function team(organisationId: string, name: string, grantsBuiltIn: string[] = []): Promise<string> {
    const [row] = await sql('INSERT INTO teams (organisation_id, name) VALUES ($1, $2) RETURNING id', [organisationId, name]);
    if (grantsBuiltIn.length > 0) {
      await sql(
        `INSERT INTO team_roles (team_id, role_id, organisation_id) SELECT $1, id, $2 FROM roles WHERE organisation_id = $2 AND built_in_key = ANY($3)`,
        [row.id, organisationId, grantsBuiltIn],
      );
    }
    return row.id;
  }

  /** What the database holds for one email in one organisation. */
  async function memberState(organisationId: string, address: string) {
    const [row] = await sql(
      `SELECT u.id AS user_id, u.issuer, u.subject, u.email_verified, u.display_name, m.id AS membership_id, m.status,
              ARRAY(SELECT r.name FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = m.id ORDER BY r.name) AS roles,
              ARRAY(SELECT t.name || ':' || tm.role FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.membership_id = m.id ORDER BY t.name) AS teams
       FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.organisation_id = $1 WHERE lower(u.email) = lower($2)`,
      [organisationId, address],
    );
    return row;
  }

  const counts = async (organisationId: string) => {
    const [row] = await sql(
      `SELECT (SELECT count(*) FROM users)::int AS users,
              (SELECT count(*) FROM memberships WHERE organisation_id = $1)::int AS memberships,
              (SELECT count(*) FROM membership_roles WHERE organisation_id = $1)::int AS roles,
              (SELECT count(*) FROM team_members WHERE organisation_id = $1)::int AS places,
              (SELECT count(*) FROM audit_events WHERE organisation_id = $1)::int AS events`,
      [organisationId],
    );
    return row;
  };

  it('dry run reports what would happen per row and writes nothing; the real run then does exactly that', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await customRole(organisation.id, 'Agent User', ['members:read']);
    await team(organisation.id, 'Platform');
    const viewer = await memberWith(service, organisation.id, ['viewer']);
    const promoted = await memberWith(service, organisation.id, ['viewer']);
    const [first, second] = [email('new'), email('new')];
    const csv = [
      HEADER,
      `${first},First Person,"Agent User,Viewer",Platform`,
      `${second},Second Person,,`,
      `${viewer.email},Viewer Again,viewer,`,
      `${promoted.email},Promoted,Agent User,`,
    ].join('\n');
    const before = await counts(organisation.id);

    const dry = await report(organisation.id, csv, true, admin.token);
    expect(dry).toEqual({
      dryRun: true,
      created: 2,
      updated: 1,
      rows: [
        { line: 2, email: first, status: 'CREATED', errors: [] },
        { line: 3, email: second, status: 'CREATED', errors: [] },
        { line: 4, email: viewer.email, status: 'UNCHANGED', errors: [] },
        { line: 5, email: promoted.email, status: 'UPDATED', errors: [] },
      ],
    });
    expect(await counts(organisation.id)).toEqual(before);
    expect(await memberState(organisation.id, first)).toBeUndefined();

    const real = await report(organisation.id, csv, false, admin.token);
    expect(real).toEqual({ ...dry, dryRun: false });
    expect(await memberState(organisation.id, first)).toMatchObject({
      issuer: null, subject: null, email_verified: false, display_name: 'First Person', status: 'ACTIVE', roles: ['Agent User', 'Viewer'], teams: ['Platform:MEMBER'],
    });
    // No roles named: a new member gets the built-in Member role, as with an invitation.
    expect(await memberState(organisation.id, second)).toMatchObject({ display_name: 'Second Person', roles: ['Member'], teams: [] });
    expect(await memberState(organisation.id, promoted.email)).toMatchObject({ user_id: promoted.userId, roles: ['Agent User', 'Viewer'] });
    const events = await sql(`SELECT target_id, actor_user_id, details FROM audit_events WHERE organisation_id = $1 AND action = 'member.imported' ORDER BY details->>'line'`, [organisation.id]);
    expect(events.map((event) => [event.details.line, event.details.status, event.details.userCreated, event.actor_user_id])).toEqual([
      [2, 'CREATED', true, admin.userId],
      [3, 'CREATED', true, admin.userId],
      [5, 'UPDATED', false, admin.userId],
    ]);
    expect(events[2].target_id).toBe(promoted.membershipId);
  });

  it('writes nothing when any row is bad, and reports every bad row by its line in the file', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await team(organisation.id, 'Platform');
    const [good, alsoGood] = [email('good'), email('good')];
    const csv = [
      HEADER, //                                                   line 1
      `${good},Good,Viewer,Platform`, //                            line 2
      `${email()},Bad Role,"Viewer,Astronaut",`, //                 line 3
      `${alsoGood},"Two-line\nName",Member,`, //                    lines 4-5
      '', //                                                        line 6
      `not-an-email,Bad Email,Viewer,`, //                          line 7
      `${good.toUpperCase()},Duplicate,Viewer,`, //                 line 8
      `${email()},,Viewer,"Platform,Moon Base"`, //                 line 9
    ].join('\n');
    const before = await counts(organisation.id);
    const result = await report(organisation.id, csv, false, admin.token);
    expect(result.created).toBe(0);
    expect(result.updated).toBe(0);
    expect(result.rows.map((row) => [row.line, row.status, row.errors])).toEqual([
      [2, 'SKIPPED', []],
      [3, 'ERROR', ['Unknown role "Astronaut"']],
      [4, 'SKIPPED', []],
      [7, 'ERROR', ['"not-an-email" is not an email address']],
      [8, 'ERROR', [`${good} is already on line 2`]],
      [9, 'ERROR', ['name is missing', 'Unknown team "Moon Base"']],
    ]);
    expect(await counts(organisation.id)).toEqual(before);
    expect(await memberState(organisation.id, good)).toBeUndefined();
    // The dry run answers exactly the same.
    expect(await report(organisation.id, csv, true, admin.token)).toEqual({ ...result, dryRun: true });
  });

  it('reuses an existing user (matched case-insensitively) and leaves their profile alone', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    const person = await signIn(service, { email: email('known'), name: 'Known Person' });
    const usersBefore = (await counts(organisation.id)).users;
    const result = await report(organisation.id, `${HEADER}\n${person.email.toUpperCase()},Renamed By Import,Viewer,\n`, false, admin.token);
    expect(result.rows).toEqual([{ line: 2, email: person.email, status: 'CREATED', errors: [] }]);
    expect((await counts(organisation.id)).users).toBe(usersBefore);
    expect(await memberState(organisation.id, person.email)).toMatchObject({ user_id: person.userId, display_name: 'Known Person', email_verified: true, roles: ['Viewer'] });
  });

  it('adds roles and team places to an existing member (UPDATED), keeping their status and places; again: UNCHANGED', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await customRole(organisation.id, 'Agent User', ['members:read']);
    const managed = await team(organisation.id, 'Platform');
    await team(organisation.id, 'Data');
    const member = await memberWith(service, organisation.id, ['viewer']);
    await sql(`INSERT INTO team_members (team_id, membership_id, organisation_id, role) VALUES ($1, $2, $3, 'MANAGER')`, [managed, member.membershipId, organisation.id]);
    await sql(`UPDATE memberships SET status = 'DEACTIVATED', deactivated_at = now() WHERE id = $1`, [member.membershipId]);
    const csv = `${HEADER}\n${member.email},Member,"viewer, agent user","platform, DATA"\n`;

    const first = await report(organisation.id, csv, false, admin.token);
    expect(first).toMatchObject({ created: 0, updated: 1, rows: [{ line: 2, status: 'UPDATED', errors: [] }] });
    expect(await memberState(organisation.id, member.email)).toMatchObject({
      membership_id: member.membershipId, status: 'DEACTIVATED', roles: ['Agent User', 'Viewer'], teams: ['Data:MEMBER', 'Platform:MANAGER'],
    });
    const [event] = await sql(`SELECT details FROM audit_events WHERE target_id = $1 AND action = 'member.imported'`, [member.membershipId]);
    expect(event.details.roleIds).toHaveLength(1); // only what was added
    expect(event.details.teamIds).toHaveLength(1);

    const eventsBefore = (await counts(organisation.id)).events;
    const again = await report(organisation.id, csv, false, admin.token);
    expect(again).toMatchObject({ created: 0, updated: 0, rows: [{ status: 'UNCHANGED' }] });
    expect((await counts(organisation.id)).events).toBe(eventsBefore);
  });

  it('creates ACTIVE memberships even where the organisation requires approval (an admin chose these people)', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await sql('UPDATE organisations SET require_approval = true WHERE id = $1', [organisation.id]);
    const person = email();
    await report(organisation.id, `${HEADER}\n${person},P,Viewer,\n`, false, admin.token);
    expect(await memberState(organisation.id, person)).toMatchObject({ status: 'ACTIVE' });
  });

  it('links a placeholder at the first verified sign-in with that email; an unverified one does not link', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    const [verified, unverified] = [email('link'), email('nolink')];
    await report(organisation.id, `${HEADER}\n${verified},Linked Person,Viewer,\n${unverified},Unlinked Person,Viewer,\n`, false, admin.token);
    const placeholder = await memberState(organisation.id, verified);

    const person = await signIn(service, { email: verified, emailVerified: true, name: 'Linked Person' });
    expect(person.userId).toBe(placeholder.user_id);
    const seen = await service.graphql(VIEWER, {}, person.token);
    expect(seen.errors).toBeUndefined();
    expect(seen.data.viewer.memberships).toEqual([
      expect.objectContaining({ status: 'ACTIVE', organisation: expect.objectContaining({ id: organisation.id }), roles: [expect.objectContaining({ name: 'Viewer' })] }),
    ]);
    expect(await memberState(organisation.id, verified)).toMatchObject({ issuer: service.idp.issuer, email_verified: true });

    const stranger = await signIn(service, { email: unverified, emailVerified: false });
    expect(stranger.userId).not.toBe((await memberState(organisation.id, unverified)).user_id);
    expect((await service.graphql(VIEWER, {}, stranger.token)).data.viewer.memberships).toEqual([]);
    expect(await memberState(organisation.id, unverified)).toMatchObject({ issuer: null, subject: null });
  });

  it('refuses, per row, grants the caller cannot make (no escalation); only Owners grant Owner', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await team(organisation.id, 'Owners Club', ['owner']);
    await team(organisation.id, 'Plain');
    const csv = [HEADER, `${email()},Would Be Owner,Owner,`, `${email()},Via Team,Viewer,Owners Club`, `${email()},Fine,Viewer,Plain`].join('\n');
    const byAdmin = await report(organisation.id, csv, false, admin.token);
    expect(byAdmin.rows.map((row) => [row.status, row.errors])).toEqual([
      ['ERROR', ['Only an Owner may grant the Owner role']],
      ['ERROR', ['Team "Owners Club" grants role "Owner": Only an Owner may grant the Owner role']],
      ['SKIPPED', []],
    ]);
    // Holding Owner already is no grant: an Admin may list the Owner as they are.
    expect((await report(organisation.id, `${HEADER}\n${organisation.owner.email},Owner,Owner,\n`, true, admin.token)).rows[0].status).toBe('UNCHANGED');
    // A narrower importer may hand out only what they hold, and no team places without teams:manage-members.
    const importerRole = await customRole(organisation.id, 'Importer', ['members:invite', 'members:assign-roles', 'org:read', 'teams:read']);
    const importer = await memberWith(service, organisation.id, []);
    await sql('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [importer.membershipId, importerRole, organisation.id]);
    const narrowResponse = await run(organisation.id, [HEADER, `${email()},A,Admin,`, `${email()},B,Viewer,Plain`, `${email()},C,Viewer,`].join('\n'), true, importer.token);
    // Without members:read-contact the report's addresses follow the contact rule (hidden, as User.email: null, no error).
    expect(narrowResponse.errors).toBeUndefined();
    const narrow: { rows: Row[] } = narrowResponse.data.importMembers;
    expect(narrow.rows.every((row) => row.email === null)).toBe(true);
    expect(narrow.rows.map((row) => [row.status, row.errors])).toEqual([
      ['ERROR', [expect.stringMatching(/^You cannot grant role "Admin": you do not hold .*audit:read/)]],
      ['ERROR', ['Placing members in teams needs teams:manage-members']],
      ['SKIPPED', []],
    ]);
    const byOwner = await report(organisation.id, csv, false, organisation.owner.token);
    expect(byOwner).toMatchObject({ created: 3, updated: 0 });
  });

  it('enforces allowedEmailDomains for people joining (not for existing members)', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    const outsider = await memberWith(service, organisation.id, ['viewer']); // @example.com, in before the policy
    await sql(`UPDATE organisations SET allowed_email_domains = '{company.com}' WHERE id = $1`, [organisation.id]);
    const csv = [HEADER, `inside-${prefix}@company.com,In,Viewer,`, `${email()},Out,Viewer,`, `${outsider.email},Already In,Member,`].join('\n');
    const result = await report(organisation.id, csv, true, admin.token);
    expect(result.rows.map((row) => [row.status, row.errors])).toEqual([
      ['SKIPPED', []],
      ['ERROR', ['Addresses at @example.com may not join this organisation']],
      ['SKIPPED', []],
    ]);
  });

  it('reads quoted commas, a byte-order mark and CRLF line ends', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await customRole(organisation.id, 'Agent User', ['members:read']);
    await team(organisation.id, 'Platform');
    await team(organisation.id, 'Data');
    const person = email('quoted');
    const csv = `\uFEFFemail,name,initial_roles,teams\r\n${person},"Doe, Jane","Agent User, Viewer","Platform,Data"\r\n\r\n${email('crlf')},Second,Viewer,\r\n`;
    const result = await report(organisation.id, csv, false, admin.token);
    expect(result.rows.map((row) => [row.line, row.status])).toEqual([[2, 'CREATED'], [4, 'CREATED']]);
    expect(await memberState(organisation.id, person)).toMatchObject({ display_name: 'Doe, Jane', roles: ['Agent User', 'Viewer'], teams: ['Data:MEMBER', 'Platform:MEMBER'] });
  });

  it('refuses a file it cannot read as a whole with BAD_USER_INPUT, writing nothing', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    const before = await counts(organisation.id);
    const refused = async (csv: string) => {
      const response = await run(organisation.id, csv, false, admin.token);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      return response.errors?.[0].extensions?.reason;
    };
    expect(await refused(`${HEADER}\n${email()},Unclosed,"Viewer\n`)).toBe('CSV_MALFORMED');
    expect(await refused(`${HEADER}\n${email()},Stray"Quote,Viewer,\n`)).toBe('CSV_MALFORMED');
    expect(await refused(`email,name,roles\n${email()},Wrong Header,Viewer\n`)).toBe('CSV_BAD_HEADER');
    expect(await refused(`${email()},No Header,Viewer\n`)).toBe('CSV_BAD_HEADER');
    expect(await refused('')).toBe('CSV_BAD_HEADER');
    expect(await refused(`${HEADER}\n`)).toBe('CSV_NO_ROWS');
    const rows = (count: number, padding = '') => `${HEADER}\n${Array.from({ length: count }, (_, index) => `p${index}@example.com,P${padding},Viewer,`).join('\n')}`;
    expect(await refused(rows(5001))).toBe('CSV_TOO_MANY_ROWS');
    expect(await refused(rows(3000, 'x'.repeat(180)))).toBe('CSV_TOO_LARGE');
    expect(await counts(organisation.id)).toEqual(before);
  });

  it('refuses callers without both permissions, and other organisations look like none', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    const other = await organisationWithAdmin();
    const csv = `${HEADER}\n${email()},P,Viewer,\n`;
    const viewer = await memberWith(service, organisation.id, ['viewer']);
    expect(errorCodes(await run(organisation.id, csv, false, viewer.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await run(organisation.id, csv, true, viewer.token))).toEqual(['FORBIDDEN']);
    // Inviting is not enough: the file hands out roles.
    const inviterRole = await customRole(organisation.id, 'Inviter', ['members:invite']);
    const inviter = await memberWith(service, organisation.id, []);
    await sql('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [inviter.membershipId, inviterRole, organisation.id]);
    expect(errorCodes(await run(organisation.id, csv, false, inviter.token))).toEqual(['FORBIDDEN']);
    // Admin of another organisation: NOT_FOUND, before the file is even read.
    expect(errorCodes(await run(organisation.id, csv, false, other.admin.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await run(organisation.id, 'garbage', false, other.admin.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await run('not-an-id', csv, false, admin.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(IMPORT, { input: { organisationId: organisation.id, csv, dryRun: false } }))).toEqual(['UNAUTHENTICATED']);
    expect(await memberState(organisation.id, other.admin.email)).toMatchObject({ membership_id: null });
  });

  it('runs concurrent imports of the same new people one after the other: one user each, one membership each', async () => {
    const first = await organisationWithAdmin();
    const second = await organisationWithAdmin();
    const people = Array.from({ length: 20 }, () => email('race'));
    const csv = [HEADER, ...people.map((person) => `${person},Racer,Viewer,`)].join('\n');
    const results = await Promise.all([
      report(first.organisation.id, csv, false, first.admin.token),
      report(second.organisation.id, csv, false, second.admin.token),
      report(first.organisation.id, csv, false, first.admin.token),
    ]);
    expect(results[1]).toMatchObject({ created: 20 });
    expect([results[0].created, results[2].created].sort()).toEqual([0, 20]); // the later one finds them all in
    const [users] = await sql('SELECT count(*)::int AS count FROM users WHERE email = ANY($1)', [people]);
    expect(users.count).toBe(20);
    const [memberships] = await sql('SELECT count(*)::int AS count FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = ANY($1)', [people]);
    expect(memberships.count).toBe(40);
  });

  it('issues the same number of SQL statements for 10 rows as for 200', async () => {
    const { organisation, admin } = await organisationWithAdmin();
    await customRole(organisation.id, 'Agent User', ['members:read']);
    await team(organisation.id, 'Platform');
    const existing = await memberWith(service, organisation.id, ['viewer']);
    const csv = (count: number) =>
      [HEADER, `${existing.email},Existing,"Viewer,Agent User",Platform`, ...Array.from({ length: count - 1 }, () => `${email('bulk')},Bulk Person,"Agent User,Viewer",Platform`)].join('\n');
    const measure = async (count: number, dryRun: boolean) => {
      const { response, count: statements } = await service.countStatements(IMPORT, { input: { organisationId: organisation.id, csv: csv(count), dryRun } }, admin.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.importMembers).toMatchObject({ created: count - 1, updated: 1 });
      return statements;
    };
    const dry = [await measure(10, true), await measure(200, true)];
    expect(dry[1]).toBe(dry[0]);
    // Reset the existing member between real runs so both are UPDATED again.
    const real10 = await measure(10, false);
    await sql(`DELETE FROM membership_roles WHERE membership_id = $1 AND role_id IN (SELECT id FROM roles WHERE name = 'Agent User')`, [existing.membershipId]);
    await sql('DELETE FROM team_members WHERE membership_id = $1', [existing.membershipId]);
    const real200 = await measure(200, false);
    expect(real200).toBe(real10);
    expect(real10).toBeLessThanOrEqual(16);
    console.log(`importMembers statements: dry run ${dry[0]} (10 rows) / ${dry[1]} (200 rows); real run ${real10} (10 rows) / ${real200} (200 rows)`);
  });
});
