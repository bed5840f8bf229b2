import { AuditEventEntity } from '../src/audit/audit-event.entity';
import { MembershipRoleEntity } from '../src/memberships/membership-role.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const ROLES = contractOperation('Roles');
const CREATE = contractOperation('CreateRole');
const UPDATE = contractOperation('UpdateRole');
const DELETE = contractOperation('DeleteRole');
const CATALOGUE = contractOperation('PermissionCatalogue');
const UPDATE_ORGANISATION = contractOperation('UpdateOrganisation');

describe('roles', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  let organisationAdmin: SignedInUser & { membershipId: string };
  let counter = 0;
  const uniqueName = (base: string) => `${base} ${(counter += 1)}`;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    organisationAdmin = await memberWith(service, organisation.id, ['admin']);
  });
  afterAll(() => service.stop());

  const roleCount = () => service.database.dataSource.getRepository(RoleEntity).count();
  const create = (input: Record<string, unknown>, token = organisationAdmin.token) =>
    service.graphql(CREATE, { input: { organisationId: organisation.id, description: 'test', ...input } }, token);

  it('serves the catalogue with implications', async () => {
    const response = await service.graphql(CATALOGUE, {}, organisationAdmin.token);
    const invite = response.data.permissionCatalogue.find((permission: any) => permission.key === 'members:invite');
    expect(invite.implies.sort()).toEqual(['invitations:read', 'members:read']);
    expect(errorCodes(await service.graphql(CATALOGUE))).toEqual(['UNAUTHENTICATED']);
  });

  it('lists built-in roles first with fixed permissions and assigned counts', async () => {
    const response = await service.graphql(ROLES, { organisationId: organisation.id }, organisationAdmin.token);
    expect(response.errors).toBeUndefined();
    const roles = response.data.organisation.roles;
    expect(roles.slice(0, 5).map((role: any) => [role.name, role.builtIn])).toEqual([
      ['Owner', true], ['Admin', true], ['Manager', true], ['Member', true], ['Viewer', true],
    ]);
    expect(roles.find((role: any) => role.name === 'Viewer').permissions).toEqual(['members:read', 'org:read', 'teams:read']);
    expect(roles.find((role: any) => role.name === 'Owner').assignedCount).toBe(1);
    expect(roles.find((role: any) => role.name === 'Admin').assignedCount).toBe(1);
  });

  it('creates, updates and deletes a custom role, audited', async () => {
    const created = await create({ name: uniqueName('Support'), permissions: ['members:read', 'teams:read'] });
    expect(created.errors).toBeUndefined();
    expect(created.data.createRole).toMatchObject({ builtIn: false, permissions: ['members:read', 'teams:read'] });
    const id = created.data.createRole.id;
    const updated = await service.graphql(UPDATE, { id, input: { description: 'Support staff', permissions: ['members:read-contact'] } }, organisationAdmin.token);
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateRole).toMatchObject({ description: 'Support staff', permissions: ['members:read-contact'] });
    const member = await memberWith(service, organisation.id, []);
    await service.graphql(contractOperation('AssignRoles'), { input: { organisationId: organisation.id, membershipIds: [member.membershipId], roleIds: [id], mode: 'ADD' } }, organisationAdmin.token);
    const deleted = await service.graphql(DELETE, { id }, organisationAdmin.token);
    expect(deleted.data.deleteRole).toBe(true);
    expect(await service.database.dataSource.getRepository(MembershipRoleEntity).countBy({ roleId: id })).toBe(0);
    const actions = (await service.database.dataSource.getRepository(AuditEventEntity).findBy({ targetId: id })).map((event) => event.action).sort();
    expect(actions).toEqual(['role.created', 'role.deleted', 'role.updated']);
  });

  it('refuses bad input, changing nothing', async () => {
    const before = await roleCount();
    expect(errorCodes(await create({ name: '   ', permissions: [] }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await create({ name: 'x'.repeat(101), permissions: [] }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await create({ name: uniqueName('Bad'), permissions: ['no:such-permission'] }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await create({ name: 'admin', permissions: [] }))).toEqual(['CONFLICT']); // taken, case-insensitively
    expect(await roleCount()).toBe(before);
  });

  it('keeps built-in roles fixed', async () => {
    const owner = await service.database.dataSource.getRepository(RoleEntity).findOneByOrFail({ organisationId: organisation.id, builtInKey: 'viewer' });
    expect(errorCodes(await service.graphql(UPDATE, { id: owner.id, input: { permissions: ['org:read'] } }, organisationAdmin.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await service.graphql(DELETE, { id: owner.id }, organisationAdmin.token))).toEqual(['FORBIDDEN']);
  });

  it('refuses roles beyond the caller (no escalation) and beyond the boundary', async () => {
    // A role manager holding only roles:manage and members:read cannot write audit:read into a role.
    const limited = await create({ name: uniqueName('Role manager'), permissions: ['roles:manage', 'members:read'] }, organisation.owner.token);
    const manager = await memberWith(service, organisation.id, []);
    await service.graphql(contractOperation('AssignRoles'), { input: { organisationId: organisation.id, membershipIds: [manager.membershipId], roleIds: [limited.data.createRole.id], mode: 'ADD' } }, organisation.owner.token);
    expect(errorCodes(await create({ name: uniqueName('Escalate'), permissions: ['audit:read'] }, manager.token))).toEqual(['FORBIDDEN']);
    const own = await create({ name: uniqueName('Fine'), permissions: ['members:read'] }, manager.token);
    expect(own.errors).toBeUndefined();
    expect(errorCodes(await service.graphql(UPDATE, { id: own.data.createRole.id, input: { permissions: ['members:read', 'org:update'] } }, manager.token))).toEqual(['FORBIDDEN']);

    const bounded = await createOrganisation(service, admin);
    const boundary = await service.graphql(UPDATE_ORGANISATION, { id: bounded.id, input: { permissionBoundary: ['org:update', 'members:read', 'roles:manage'] } }, bounded.owner.token);
    expect(boundary.errors).toBeUndefined();
    const outside = await service.graphql(CREATE, { input: { organisationId: bounded.id, name: 'Auditor', permissions: ['audit:read'] } }, bounded.owner.token);
    expect(errorCodes(outside)).toEqual(['BAD_USER_INPUT']);
    const overview = await service.graphql(contractOperation('OrganisationOverview'), { id: bounded.id }, bounded.owner.token);
    expect(overview.data.organisation.viewerPermissions).toEqual(['members:read', 'org:read', 'org:update', 'roles:manage', 'roles:read']);
  });

  it('refuses role mutations from Viewers and from other organisations', async () => {
    const viewer = await memberWith(service, organisation.id, ['viewer']);
    expect(errorCodes(await create({ name: uniqueName('Nope'), permissions: [] }, viewer.token))).toEqual(['FORBIDDEN']);
    const mine = await create({ name: uniqueName('Mine'), permissions: [] });
    expect(errorCodes(await create({ name: uniqueName('Cross'), permissions: [] }, other.owner.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(UPDATE, { id: mine.data.createRole.id, input: { name: 'Hijack' } }, other.owner.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.graphql(DELETE, { id: mine.data.createRole.id }, other.owner.token))).toEqual(['NOT_FOUND']);
    expect((await service.graphql(ROLES, { organisationId: organisation.id }, other.owner.token)).data.organisation).toBeNull();
  });

  it('loads extension permissions from PERMISSIONS_FILE, granted to Owner and Admin', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(os.tmpdir(), `permissions-${process.pid}.yaml`);
    fs.writeFileSync(file, '- key: apikeys:read\n  description: Read API keys\n- key: apikeys:manage\n  description: Manage API keys\n  implies: [apikeys:read]\n');
    const extended = await startTestService({ PERMISSIONS_FILE: file });
    try {
      const platform = await platformAdmin(extended);
      const org = await createOrganisation(extended, platform);
      const adminMember = await memberWith(extended, org.id, ['admin']);
      const catalogue = await extended.graphql(CATALOGUE, {}, adminMember.token);
      expect(catalogue.data.permissionCatalogue.map((permission: any) => permission.key)).toEqual(expect.arrayContaining(['apikeys:read', 'apikeys:manage']));
      const overview = await extended.graphql(contractOperation('OrganisationOverview'), { id: org.id }, adminMember.token);
      expect(overview.data.organisation.viewerPermissions).toEqual(expect.arrayContaining(['apikeys:manage', 'apikeys:read']));
      const custom = await extended.graphql(CREATE, { input: { organisationId: org.id, name: 'Key reader', permissions: ['apikeys:read'] } }, adminMember.token);
      expect(custom.data.createRole.permissions).toEqual(['apikeys:read']);
    } finally {
      await extended.stop();
    }
  });
});
