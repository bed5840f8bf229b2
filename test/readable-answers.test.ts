import 'reflect-metadata';
import { readableMessage } from '../src/core/errors';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type TestService } from './support/test-service';

/**
 * What a dashboard can use as it is: fields hidden from the caller are null with no error (Apollo
 * Client's default error policy would otherwise throw the page away), entry points the caller may not
 * use are still FORBIDDEN, and a validation error says what is wrong in `message` itself.
 */
describe('redacted fields are null, not errors', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let manager: SignedInUser & { membershipId: string };
  let admin: SignedInUser & { membershipId: string };

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    await seedMembers(service.database.dataSource, organisation.id, { count: 24, rolesEach: 1, teamsEach: 1 });
    manager = await memberWith(service, organisation.id, ['manager']);
    admin = await memberWith(service, organisation.id, ['admin']);
    // Someone with a sign-in time and an address to hide.
    await service.database.dataSource.query('UPDATE users SET last_sign_in_at = now() WHERE id = $1', [admin.userId]);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("runs the contract's Members operation for a Manager: every row, emails and sign-ins null, no errors", async () => {
    const response = await service.graphql(contractOperation('Members'), { organisationId: organisation.id, first: 50 }, manager.token);
    expect(response.errors).toBeUndefined();
    const rows = response.data.organisation.members.edges.map((edge: any) => edge.node);
    expect(rows).toHaveLength(27);
    expect(response.data.organisation.members.totalCount).toBe(27);
    const others = rows.filter((row: any) => row.user.id !== manager.userId);
    expect(others).toHaveLength(26);
    expect(others.every((row: any) => typeof row.user.displayName === 'string' && row.user.email === null && row.user.lastSignInAt === null)).toBe(true);
    // The Manager's own row is theirs to see.
    expect(rows.find((row: any) => row.user.id === manager.userId).user.email).toBe(manager.email);
  });

  it('shows the same fields to an Admin (members:read-contact, access:review)', async () => {
    const response = await service.graphql(contractOperation('Members'), { organisationId: organisation.id, first: 50 }, admin.token);
    expect(response.errors).toBeUndefined();
    const rows = response.data.organisation.members.edges.map((edge: any) => edge.node);
    expect(rows.filter((row: any) => row.user.email !== null)).toHaveLength(27);
    expect(rows.find((row: any) => row.user.id === admin.userId).user.lastSignInAt).not.toBeNull();
  });

  it('still refuses entry points the caller may not use (FORBIDDEN), not null', async () => {
    const response = await service.graphql('query($id: ID!) { organisation(id: $id) { id auditLog(first: 5) { totalCount } } }', { id: organisation.id }, manager.token);
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    const mutation = await service.graphql('mutation($id: ID!) { deactivateMember(membershipId: $id) { id } }', { id: admin.membershipId }, manager.token);
    expect(errorCodes(mutation)).toEqual(['FORBIDDEN']);
  });
});

describe('validation messages are readable in `message`', () => {
  let service: TestService;
  let organisation: TestOrganisation;

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
  });

  afterAll(async () => {
    await service?.stop();
  });

  const CREATE_TEAM = 'mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }';

  it('names the field and the reason (too long, blank), with the details still in extensions', async () => {
    const tooLong = await service.graphql(CREATE_TEAM, { input: { organisationId: organisation.id, name: 'x'.repeat(101) } }, organisation.owner.token);
    expect(errorCodes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(tooLong.errors?.[0].message).toBe('Invalid input: name must be shorter than or equal to 100 characters');
    expect(tooLong.errors?.[0].extensions?.validationErrors).toBeDefined();
    const blank = await service.graphql(CREATE_TEAM, { input: { organisationId: organisation.id, name: '   ' } }, organisation.owner.token);
    expect(errorCodes(blank)).toEqual(['BAD_USER_INPUT']);
    expect(blank.errors?.[0].message).toBe('Invalid input: name must not be blank');
    expect(JSON.stringify([tooLong, blank])).not.toContain('Argument Validation Error');
    // Nothing was written.
    const [{ count }] = await service.database.dataSource.query('SELECT count(*)::int AS count FROM teams WHERE organisation_id = $1', [organisation.id]);
    expect(count).toBe(0);
  });

  it('joins several reasons and names nested fields by their path', () => {
    const message = readableMessage('Argument Validation Error', {
      code: 'BAD_USER_INPUT',
      validationErrors: [
        { property: 'name', constraints: { maxLength: 'name must be shorter than or equal to 100 characters', matches: 'name must not be blank' } },
        { property: 'scope', children: [{ property: 'roleIds', constraints: { arrayMaxSize: 'roleIds must contain no more than 100 elements' } }] },
      ],
    });
    expect(message).toBe('Invalid input: name must be shorter than or equal to 100 characters; name must not be blank; scope.roleIds must contain no more than 100 elements');
    // Other errors keep their message.
    expect(readableMessage('Team not found', { code: 'NOT_FOUND' })).toBe('Team not found');
    expect(readableMessage('Argument Validation Error', { code: 'BAD_USER_INPUT' })).toBe('Argument Validation Error');
  });
});
