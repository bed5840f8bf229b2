import { MembershipRoleEntity } from '../src/memberships/membership-role.entity';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { AuditEventEntity } from '../src/audit/audit-event.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const APPROVE = contractOperation('ApproveMember');
const DEACTIVATE = contractOperation('DeactivateMember');
const REACTIVATE = contractOperation('ReactivateMember');
const REMOVE = contractOperation('RemoveMember');
const ASSIGN = contractOperation('AssignRoles');
const VIEWER_QUERY = contractOperation('Viewer');
const OVERVIEW = contractOperation('OrganisationOverview');

describe('member lifecycle and role assignment', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  let organisationAdmin: SignedInUser & { membershipId: string };

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    organisationAdmin = await memberWith(service, organisation.id, ['admin']);
  });
  afterAll(() => service.stop());

  const roleId = async (organisationId: string, key: string) =>
    (await service.database.dataSource.getRepository(RoleEntity).findOneByOrFail({ organisationId, builtInKey: key })).id;
  const status = async (membershipId: string) => (await service.database.dataSource.getRepository(MembershipEntity).findOneBy({ id: membershipId }))?.status;
  const auditCount = () => service.database.dataSource.getRepository(AuditEventEntity).count();

  it('approves a pending member, idempotently, and audits once', async () => {
    const pending = await memberWith(service, organisation.id, ['member'], { status: 'PENDING_APPROVAL' as never });
    const before = await auditCount();
    const first = await service.graphql(APPROVE, { membershipId: pending.membershipId }, organisationAdmin.token);
    expect(first.errors).toBeUndefined();
    expect(first.data.approveMember.status).toBe('ACTIVE');
    const again = await service.graphql(APPROVE, { membershipId: pending.membershipId }, organisationAdmin.token);
    expect(again.data.approveMember.status).toBe('ACTIVE');
    expect(await auditCount()).toBe(before + 1);
  });

  it('deactivation ends access on the next request; reactivation brings it back', async () => {
    const member = await memberWith(service, organisation.id, ['manager']);
    const active = await service.graphql(OVERVIEW, { id: organisation.id }, member.token);
    expect(active.errors).toBeUndefined();
    expect(active.data.organisation.viewerPermissions).toContain('members:read');
    const deactivated = await service.graphql(DEACTIVATE, { membershipId: member.membershipId }, organisationAdmin.token);
    expect(deactivated.errors).toBeUndefined();
    expect(deactivated.data.deactivateMember).toMatchObject({ status: 'DEACTIVATED', deactivatedAt: expect.any(String) });
    const overview = await service.graphql(OVERVIEW, { id: organisation.id }, member.token);
    expect(errorCodes(overview)).toContain('FORBIDDEN'); // settings need org:read (non-null, so the organisation is null)
    expect(overview.data.organisation).toBeNull();
    const basics = await service.graphql('query($id: ID!) { organisation(id: $id) { id viewerPermissions } }', { id: organisation.id }, member.token);
    expect(basics.data.organisation).toEqual({ id: organisation.id, viewerPermissions: [] });
    const members = await service.graphql(contractOperation('Members'), { organisationId: organisation.id, first: 5 }, member.token);
    expect(errorCodes(members)).toEqual(['FORBIDDEN']);
    // Their own membership stays readable to them, with its roles and no permissions.
    const viewer = await service.graphql(VIEWER_QUERY, {}, member.token);
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data.viewer.memberships[0]).toMatchObject({ status: 'DEACTIVATED', roles: [{ name: 'Manager' }], effectivePermissions: [] });
    const reactivated = await service.graphql(REACTIVATE, { membershipId: member.membershipId }, organisationAdmin.token);
    expect(reactivated.data.reactivateMember).toMatchObject({ status: 'ACTIVE', deactivatedAt: null, roles: [{ name: 'Manager' }] });
    expect((await service.graphql(OVERVIEW, { id: organisation.id }, member.token)).data.organisation.viewerPermissions).toContain('members:read');
  });

  it('answers bad transitions with CONFLICT and changes nothing', async () => {
    const pending = await memberWith(service, organisation.id, ['member'], { status: 'PENDING_APPROVAL' as never });
    expect(errorCodes(await service.graphql(REACTIVATE, { membershipId: pending.membershipId }, organisationAdmin.token))).toEqual(['CONFLICT']);
    expect(await status(pending.membershipId)).toBe('PENDING_APPROVAL');
    const deactivated = await memberWith(service, organisation.id, ['member'], { status: 'DEACTIVATED' as never });
    expect(errorCodes(await service.graphql(APPROVE, { membershipId: deactivated.membershipId }, organisationAdmin.token))).toEqual(['CONFLICT']);
    expect(await status(deactivated.membershipId)).toBe('DEACTIVATED');
  });

  it('refuses a caller without members:manage, and another organisation, and unknown ids', async () => {
    const viewer = await memberWith(service, organisation.id, ['viewer']);
    const target = await memberWith(service, organisation.id, ['member']);
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: target.membershipId }, viewer.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: target.membershipId }, other.owner.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(REMOVE, { membershipId: target.membershipId }, other.owner.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: '00000000-0000-4000-8000-000000000000' }, organisationAdmin.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: 'not-an-id' }, organisationAdmin.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: target.membershipId }, null))).toEqual(['UNAUTHENTICATED']);
    expect(await status(target.membershipId)).toBe('ACTIVE');
  });

  it('removes a member (team places go, the user stays)', async () => {
    const target = await memberWith(service, organisation.id, ['member']);
    const response = await service.graphql(REMOVE, { membershipId: target.membershipId }, organisationAdmin.token);
    expect(response.data.removeMember).toBe(true);
    expect(await status(target.membershipId)).toBeUndefined();
    expect((await service.graphql('{ viewer { user { id } memberships { id } } }', {}, target.token)).data.viewer).toEqual({ user: { id: target.userId }, memberships: [] });
  });

  it('protects Owners: an Admin cannot deactivate or remove one, and the last Owner cannot go', async () => {
    const ownerMembership = await service.database.dataSource.getRepository(MembershipEntity).findOneByOrFail({ organisationId: organisation.id, userId: organisation.owner.userId });
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: ownerMembership.id }, organisationAdmin.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await service.graphql(REMOVE, { membershipId: ownerMembership.id }, organisationAdmin.token))).toEqual(['FORBIDDEN']);
    // The owner acting on themselves: the last active Owner stays.
    expect(errorCodes(await service.graphql(DEACTIVATE, { membershipId: ownerMembership.id }, organisation.owner.token))).toEqual(['CONFLICT']);
    expect(errorCodes(await service.graphql(REMOVE, { membershipId: ownerMembership.id }, organisation.owner.token))).toEqual(['CONFLICT']);
    const demote = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [ownerMembership.id], roleIds: [await roleId(organisation.id, 'owner')], mode: 'REMOVE' } }, organisation.owner.token);
    expect(errorCodes(demote)).toEqual(['CONFLICT']);
    expect(await status(ownerMembership.id)).toBe('ACTIVE');
  });

  it('keeps one Owner when two Owners deactivate each other at the same time', async () => {
    const organisationB = await createOrganisation(service, admin);
    const second = await memberWith(service, organisationB.id, ['owner']);
    const firstMembership = await service.database.dataSource.getRepository(MembershipEntity).findOneByOrFail({ organisationId: organisationB.id, userId: organisationB.owner.userId });
    const results = await Promise.all([
      service.graphql(DEACTIVATE, { membershipId: second.membershipId }, organisationB.owner.token),
      service.graphql(DEACTIVATE, { membershipId: firstMembership.id }, second.token),
    ]);
    const codes = results.map((result) => errorCodes(result)[0] ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
    const owners = await service.database.dataSource.query(
      `SELECT count(*)::int AS count FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
       WHERE m.organisation_id = $1 AND m.status = 'ACTIVE' AND r.built_in_key = 'owner'`,
      [organisationB.id],
    );
    expect(owners[0].count).toBe(1);
  });

  it('assigns roles in bulk with ADD, REMOVE and REPLACE', async () => {
    const first = await memberWith(service, organisation.id, ['viewer']);
    const second = await memberWith(service, organisation.id, ['member']);
    const ids = [first.membershipId, second.membershipId];
    const manager = await roleId(organisation.id, 'manager');
    const viewer = await roleId(organisation.id, 'viewer');
    const added = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: ids, roleIds: [manager], mode: 'ADD' } }, organisationAdmin.token);
    expect(added.errors).toBeUndefined();
    expect(added.data.assignRoles.map((row: any) => row.roles.map((role: any) => role.name).sort())).toEqual([['Manager', 'Viewer'], ['Manager', 'Member']]);
    const removed = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: ids, roleIds: [viewer], mode: 'REMOVE' } }, organisationAdmin.token);
    expect(removed.data.assignRoles.map((row: any) => row.roles.map((role: any) => role.name).sort())).toEqual([['Manager'], ['Manager', 'Member']]);
    const replaced = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: ids, roleIds: [viewer], mode: 'REPLACE' } }, organisationAdmin.token);
    expect(replaced.data.assignRoles.map((row: any) => row.roles.map((role: any) => role.name))).toEqual([['Viewer'], ['Viewer']]);
  });

  it('changes nothing when one id is unknown or foreign, or the mode is bad', async () => {
    const target = await memberWith(service, organisation.id, ['viewer']);
    const foreignMember = await memberWith(service, other.id, ['viewer']);
    const links = () => service.database.dataSource.getRepository(MembershipRoleEntity).count();
    const before = await links();
    const manager = await roleId(organisation.id, 'manager');
    const cases = [
      { membershipIds: [target.membershipId, foreignMember.membershipId], roleIds: [manager], mode: 'ADD' },
      { membershipIds: [target.membershipId, '00000000-0000-4000-8000-000000000000'], roleIds: [manager], mode: 'ADD' },
      { membershipIds: [target.membershipId], roleIds: [manager, await roleId(other.id, 'viewer')], mode: 'ADD' },
      { membershipIds: [target.membershipId], roleIds: [], mode: 'ADD' },
      { membershipIds: [], roleIds: [manager], mode: 'ADD' },
    ];
    for (const input of cases) {
      expect(errorCodes(await service.graphql(ASSIGN, { input: { organisationId: organisation.id, ...input } }, organisationAdmin.token))).toEqual(['BAD_USER_INPUT']);
    }
    const badMode = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [target.membershipId], roleIds: [manager], mode: 'MERGE' } }, organisationAdmin.token);
    expect(errorCodes(badMode)[0]).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    expect(await links()).toBe(before);
  });

  it('refuses escalation: only an Owner grants Owner; nobody grants what they do not hold', async () => {
    const target = await memberWith(service, organisation.id, ['viewer']);
    const owner = await roleId(organisation.id, 'owner');
    const byAdmin = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [target.membershipId], roleIds: [owner], mode: 'ADD' } }, organisationAdmin.token);
    expect(errorCodes(byAdmin)).toEqual(['FORBIDDEN']);
    // A member who may assign roles but holds little cannot hand out Admin.
    const custom = await service.graphql(
      'mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }',
      { input: { organisationId: organisation.id, name: `Assigner ${Date.now()}`, permissions: ['members:assign-roles'] } },
      organisation.owner.token,
    );
    const assigner = await memberWith(service, organisation.id, []);
    await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [assigner.membershipId], roleIds: [custom.data.createRole.id], mode: 'ADD' } }, organisation.owner.token);
    const escalation = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [assigner.membershipId], roleIds: [await roleId(organisation.id, 'admin')], mode: 'ADD' } }, assigner.token);
    expect(errorCodes(escalation)).toEqual(['FORBIDDEN']);
    const byOwner = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [target.membershipId], roleIds: [owner], mode: 'ADD' } }, organisation.owner.token);
    expect(byOwner.errors).toBeUndefined();
  });

  it('applies concurrent assignments without losing or duplicating links', async () => {
    const target = await memberWith(service, organisation.id, []);
    const roles = await Promise.all(['manager', 'member', 'viewer'].map((key) => roleId(organisation.id, key)));
    const results = await Promise.all(
      roles.map((role) => service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [target.membershipId], roleIds: [role], mode: 'ADD' } }, organisationAdmin.token)),
    );
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    expect(await service.database.dataSource.getRepository(MembershipRoleEntity).countBy({ membershipId: target.membershipId })).toBe(3);
  });

  it('answers many concurrent REMOVEs (more than the pool has connections) without deadlocking the pool', async () => {
    // Each transaction holds a connection and waits for the organisation's lock; the holder must not need
    // another connection to finish (it did: the Owner role was read through a loader, outside it).
    const viewerRole = await roleId(organisation.id, 'viewer');
    const targets = await Promise.all(Array.from({ length: 24 }, () => memberWith(service, organisation.id, ['viewer'])));
    const removals = Promise.all(
      targets.map((target) => service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds: [target.membershipId], roleIds: [viewerRole], mode: 'REMOVE' } }, organisationAdmin.token)),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadlocked'>((resolve) => (timer = setTimeout(() => resolve('deadlocked'), 30_000)));
    const results = await Promise.race([removals, deadline]).finally(() => clearTimeout(timer));
    expect(results).not.toBe('deadlocked');
    expect((results as { errors?: unknown }[]).every((result) => result.errors === undefined)).toBe(true);
  });

  it('requires the MFA the organisation asks for', async () => {
    const strict = await createOrganisation(service, admin);
    // Only a token with a second factor may require one (test/organisations.test.ts: no lock-out).
    const enabling = await service.token({ subject: strict.owner.subject, email: strict.owner.email, amr: ['pwd', 'otp'] });
    const enabled = await service.graphql('mutation($id: ID!) { updateOrganisation(id: $id, input: { requireMfa: true }) { id } }', { id: strict.id }, enabling);
    expect(enabled.errors).toBeUndefined();
    const withoutMfa = await service.token({ subject: strict.owner.subject, email: strict.owner.email, amr: ['pwd'] });
    const refused = await service.graphql(contractOperation('Members'), { organisationId: strict.id, first: 5 }, withoutMfa);
    expect(errorCodes(refused)).toEqual(['MFA_REQUIRED']);
    const mutation = await service.graphql(ASSIGN, { input: { organisationId: strict.id, membershipIds: [], roleIds: [], mode: 'ADD' } }, withoutMfa);
    expect(errorCodes(mutation)).toEqual(['MFA_REQUIRED']);
    const withMfa = await service.token({ subject: strict.owner.subject, email: strict.owner.email, amr: ['pwd', 'otp'] });
    const allowed = await service.graphql(contractOperation('Members'), { organisationId: strict.id, first: 5 }, withMfa);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.organisation.members.totalCount).toBe(1);
  });
});
