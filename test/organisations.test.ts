import { AuditEventEntity } from '../src/audit/audit-event.entity';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { MembershipStatus } from '../src/memberships/membership-status';
import { OrganisationEntity } from '../src/organisations/organisation.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { UserEntity } from '../src/users/user.entity';
import { verifiedDomain } from './support/domains';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const CREATE = 'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id name slug createdAt } }';
const UPDATE = `mutation($id: ID!, $input: UpdateOrganisationInput!) {
  updateOrganisation(id: $id, input: $input) {
    id name permissionBoundary
    settings { invitationExpiryDays requireMfa requireApproval allowedEmailDomains autoJoinDomains }
  }
}`;
const ORGANISATIONS = `query($first: Int, $after: String) {
  organisations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name slug createdAt } }
  }
}`;
const OVERVIEW = `query($id: ID!) {
  organisation(id: $id) {
    id name slug createdAt viewerPermissions permissionBoundary
    settings { invitationExpiryDays requireMfa requireApproval allowedEmailDomains autoJoinDomains }
  }
}`;
const VIEWER_PERMISSIONS = 'query($id: ID!) { organisation(id: $id) { id viewerPermissions } }';


let sequence = 0;
const uniqueSlug = (prefix = 'org') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}`;

describe('organisations', () => {
  let service: TestService;
  let admin: SignedInUser;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
  });
  afterAll(() => service.stop());

  const db = () => service.database.dataSource;

  const expectNothingWritten = <T>(work: () => Promise<T>): Promise<T> => expectNothingWrittenIn(db(), work);

  const organisationRow = (id: string) => db().getRepository(OrganisationEntity).findOneByOrFail({ id });

  describe('createOrganisation', () => {
    it('creates the organisation, its built-in roles, the Owner membership of an existing user and audit rows', async () => {
      const owner = await signIn(service);
      const slug = uniqueSlug();
      const started = Date.now();
      const response = await service.graphql(CREATE, { input: { name: '  Acme Corp  ', slug, ownerEmail: owner.email.toUpperCase() } }, admin.token);
      expect(response.errors).toBeUndefined();
      const created = response.data.createOrganisation;
      expect(created).toMatchObject({ name: 'Acme Corp', slug });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(Date.parse(created.createdAt) - started)).toBeLessThan(60_000);

      const roles = await db().getRepository(RoleEntity).find({ where: { organisationId: created.id }, order: { name: 'ASC' } });
      expect(roles.map((role) => [role.name, role.builtInKey]).sort()).toEqual([
        ['Admin', 'admin'],
        ['Manager', 'manager'],
        ['Member', 'member'],
        ['Owner', 'owner'],
        ['Viewer', 'viewer'],
      ]);

      const memberships = await db().getRepository(MembershipEntity).findBy({ organisationId: created.id });
      expect(memberships).toHaveLength(1);
      expect(memberships[0]).toMatchObject({ userId: owner.userId, status: 'ACTIVE' });
      const held = await db().query('SELECT r.built_in_key FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = $1', [memberships[0].id]);
      expect(held).toEqual([{ built_in_key: 'owner' }]);

      const audit = await db().getRepository(AuditEventEntity).find({ where: { organisationId: created.id }, order: { occurredAt: 'ASC' } });
      expect(audit.map((event) => event.action).sort()).toEqual(['member.joined', 'organisation.created']);
      for (const event of audit) expect(event.actorUserId).toBe(admin.userId);
      expect(audit.find((event) => event.action === 'organisation.created')).toMatchObject({ targetType: 'Organisation', targetId: created.id });

      // The owner sees it as their own, with Owner and every permission.
      const viewer = await service.graphql('{ viewer { memberships { organisation { id } roles { name } } } }', {}, owner.token);
      expect(viewer.data.viewer.memberships).toContainEqual({ organisation: { id: created.id }, roles: [{ name: 'Owner' }] });
      const overview = await service.graphql(VIEWER_PERMISSIONS, { id: created.id }, owner.token);
      expect(overview.data.organisation.viewerPermissions).toEqual(expect.arrayContaining(['org:update', 'roles:manage', 'members:manage']));
    });

    it('creates a placeholder owner for an unknown email, holding Owner', async () => {
      const email = `${uniqueSlug('placeholder')}@example.com`;
      const usersBefore = await db().getRepository(UserEntity).count();
      const response = await service.graphql(CREATE, { input: { name: 'Placeholder Inc', slug: uniqueSlug(), ownerEmail: email } }, admin.token);
      expect(response.errors).toBeUndefined();
      expect(await db().getRepository(UserEntity).count()).toBe(usersBefore + 1);
      const placeholder = await db().getRepository(UserEntity).findOneByOrFail({ email });
      expect(placeholder).toMatchObject({ issuer: null, subject: null, emailVerified: false });
      const held = await db().query(
        'SELECT r.built_in_key, m.status FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id WHERE m.user_id = $1 AND m.organisation_id = $2',
        [placeholder.id, response.data.createOrganisation.id],
      );
      expect(held).toEqual([{ built_in_key: 'owner', status: 'ACTIVE' }]);
    });

    it('refuses a plain user with FORBIDDEN and writes nothing', async () => {
      const user = await signIn(service);
      const response = await expectNothingWritten(() =>
        service.graphql(CREATE, { input: { name: 'Nope', slug: uniqueSlug(), ownerEmail: user.email } }, user.token),
      );
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.data).toBeNull();
    });

    it('refuses a request without a token with UNAUTHENTICATED and writes nothing', async () => {
      const response = await expectNothingWritten(() => service.graphql(CREATE, { input: { name: 'Nope', slug: uniqueSlug(), ownerEmail: 'x@example.com' } }));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });

    const badInputs: [string, Record<string, string>][] = [
      ['an empty name', { name: '' }],
      ['a blank name', { name: '   ' }],
      ['a name over 200 characters', { name: 'x'.repeat(201) }],
      ['a slug with uppercase letters', { slug: 'Acme' }],
      ['a slug with spaces', { slug: 'acme corp' }],
      ['a slug with a leading hyphen', { slug: '-acme' }],
      ['a slug with a trailing hyphen', { slug: 'acme-' }],
      ['a slug with a double hyphen', { slug: 'acme--corp' }],
      ['an empty slug', { slug: '' }],
      ['a slug over 63 characters', { slug: 'a'.repeat(64) }],
      ['an ownerEmail that is not an email', { ownerEmail: 'not-an-email' }],
      ['an ownerEmail without a domain', { ownerEmail: 'someone@' }],
      ['an empty ownerEmail', { ownerEmail: '' }],
    ];
    it.each(badInputs)('refuses %s with BAD_USER_INPUT and writes nothing', async (_label, override) => {
      const input = { name: 'Good Name', slug: uniqueSlug(), ownerEmail: 'owner@example.com', ...override };
      const response = await expectNothingWritten(() => service.graphql(CREATE, { input }, admin.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.data).toBeNull();
    });

    it('accepts a slug of exactly 63 characters', async () => {
      const slug = `s${Date.now().toString(36)}`.padEnd(63, 'a');
      const response = await service.graphql(CREATE, { input: { name: 'Long slug', slug, ownerEmail: admin.email } }, admin.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.createOrganisation.slug).toBe(slug);
    });

    it('refuses a taken slug with CONFLICT and writes nothing (not even a placeholder owner)', async () => {
      const existing = await createOrganisation(service, admin);
      const response = await expectNothingWritten(() =>
        service.graphql(CREATE, { input: { name: 'Second', slug: existing.slug, ownerEmail: `${uniqueSlug('fresh')}@example.com` } }, admin.token),
      );
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.data).toBeNull();
    });

    it('gives one organisation and one CONFLICT when two requests race for a slug', async () => {
      const slug = uniqueSlug();
      const responses = await Promise.all(
        [1, 2].map((index) => service.graphql(CREATE, { input: { name: `Race ${index}`, slug, ownerEmail: admin.email } }, admin.token)),
      );
      expect(responses.map((response) => errorCodes(response)[0] ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
      expect(await db().getRepository(OrganisationEntity).countBy({ slug })).toBe(1);
    });
  });

  describe('organisations (list)', () => {
    let member: SignedInUser;
    let own: TestOrganisation[];

    beforeAll(async () => {
      member = await signIn(service);
      own = [];
      // Five organisations where `member` belongs (one of them deactivated, one pending), and others where not.
      for (let index = 0; index < 5; index += 1) own.push(await createOrganisation(service, admin));
      await addMember(service, own[0].id, member.userId, { builtInRoles: ['viewer'] });
      await addMember(service, own[1].id, member.userId, { builtInRoles: ['admin'] });
      await addMember(service, own[2].id, member.userId, { builtInRoles: ['member'], status: MembershipStatus.DEACTIVATED });
      await addMember(service, own[3].id, member.userId, { builtInRoles: ['member'], status: MembershipStatus.PENDING_APPROVAL });
      await addMember(service, own[4].id, member.userId, {});
      await createOrganisation(service, admin);
      await createOrganisation(service, admin);
    });

    async function walk(token: string, first: number): Promise<{ ids: string[]; pages: GraphQLResponse[] }> {
      const ids: string[] = [];
      const pages: GraphQLResponse[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 200; guard += 1) {
        const page: GraphQLResponse = await service.graphql(ORGANISATIONS, { first, after }, token);
        expect(page.errors).toBeUndefined();
        pages.push(page);
        const connection = page.data.organisations;
        ids.push(...connection.edges.map((edge: { node: { id: string } }) => edge.node.id));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      return { ids, pages };
    }

    it('lists only the caller’s own organisations (any membership status) to a non-admin', async () => {
      const response = await service.graphql(ORGANISATIONS, {}, member.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisations.totalCount).toBe(5);
      expect(response.data.organisations.edges.map((edge: { node: { id: string } }) => edge.node.id).sort()).toEqual(own.map((org) => org.id).sort());
      expect(response.data.organisations.pageInfo.hasNextPage).toBe(false);
    });

    it('lists nothing to a user without memberships', async () => {
      const loner = await signIn(service);
      const response = await service.graphql(ORGANISATIONS, {}, loner.token);
      expect(response.data.organisations).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, edges: [] });
    });

    it('lists every organisation to a platform admin, in creation order', async () => {
      const all = await db().query('SELECT id FROM organisations ORDER BY created_at, id');
      const { ids, pages } = await walk(admin.token, 100);
      expect(ids).toEqual(all.map((row: { id: string }) => row.id));
      expect(pages[0].data.organisations.totalCount).toBe(all.length);
    });

    it('walks pages with first/after: no duplicates, no gaps, stable cursors, correct totalCount and hasNextPage', async () => {
      const { ids, pages } = await walk(member.token, 2);
      expect(pages).toHaveLength(3);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
      expect([...ids].sort()).toEqual(own.map((org) => org.id).sort());
      expect(pages.map((page) => page.data.organisations.pageInfo.hasNextPage)).toEqual([true, true, false]);
      expect(pages.map((page) => page.data.organisations.edges.length)).toEqual([2, 2, 1]);
      for (const page of pages) {
        const connection = page.data.organisations;
        expect(connection.totalCount).toBe(5);
        expect(connection.pageInfo.startCursor).toBe(connection.edges[0].cursor);
        expect(connection.pageInfo.endCursor).toBe(connection.edges[connection.edges.length - 1].cursor);
      }
      // Cursors are stable: asking again from the same cursor gives the same page.
      const again = await service.graphql(ORGANISATIONS, { first: 2, after: pages[0].data.organisations.pageInfo.endCursor }, member.token);
      expect(again.data).toEqual(pages[1].data);
      // The last edge's cursor leads to an empty page.
      const end = await service.graphql(ORGANISATIONS, { first: 2, after: pages[2].data.organisations.pageInfo.endCursor }, member.token);
      expect(end.data.organisations).toMatchObject({ totalCount: 5, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('walks every organisation one by one as a platform admin without duplicates', async () => {
      const all = await db().query('SELECT id FROM organisations ORDER BY created_at, id');
      const { ids } = await walk(admin.token, 1);
      expect(ids).toEqual(all.map((row: { id: string }) => row.id));
    });

    it('keeps organisations created in one millisecond apart across pages', async () => {
      // Cursors must be exact: rows whose created_at differ below a millisecond must neither repeat nor vanish.
      const [first, second] = own;
      await db().query("UPDATE organisations SET created_at = '2020-01-01T00:00:00.123456Z' WHERE id = $1", [first.id]);
      await db().query("UPDATE organisations SET created_at = '2020-01-01T00:00:00.123789Z' WHERE id = $1", [second.id]);
      const { ids } = await walk(member.token, 1);
      expect(ids.slice(0, 2)).toEqual([first.id, second.id]);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
    });

    it('accepts first: 0 and first: 100', async () => {
      const zero = await service.graphql(ORGANISATIONS, { first: 0 }, member.token);
      expect(zero.errors).toBeUndefined();
      expect(zero.data.organisations).toMatchObject({ totalCount: 5, edges: [], pageInfo: { hasNextPage: true } });
      const hundred = await service.graphql(ORGANISATIONS, { first: 100 }, member.token);
      expect(hundred.errors).toBeUndefined();
      expect(hundred.data.organisations.edges).toHaveLength(5);
    });

    const badPages: [string, Record<string, unknown>][] = [
      ['first above 100', { first: 101 }],
      ['a negative first', { first: -1 }],
      ['a cursor that is not base64 JSON', { after: 'garbage!' }],
      ['a cursor of the wrong shape', { after: Buffer.from(JSON.stringify({ a: 1 })).toString('base64url') }],
      ['a cursor with a bad date', { after: Buffer.from(JSON.stringify(['yesterday', '00000000-0000-0000-0000-000000000000'])).toString('base64url') }],
      ['a cursor with a bad id', { after: Buffer.from(JSON.stringify([new Date().toISOString(), 'x'])).toString('base64url') }],
    ];
    it.each(badPages)('refuses %s with BAD_USER_INPUT', async (_label, variables) => {
      const response = await service.graphql(ORGANISATIONS, variables, member.token);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a request without a token', async () => {
      expect(errorCodes(await service.graphql(ORGANISATIONS, {}))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('organisation(id)', () => {
    let orgA: TestOrganisation;
    let orgB: TestOrganisation;
    let adminOfA: SignedInUser;

    beforeAll(async () => {
      orgA = await createOrganisation(service, admin);
      orgB = await createOrganisation(service, admin);
      adminOfA = await memberWith(service, orgA.id, ['admin']);
    });

    it('shows a member their own organisation with settings and permissions', async () => {
      const response = await service.graphql(OVERVIEW, { id: orgA.id }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisation).toMatchObject({
        id: orgA.id,
        slug: orgA.slug,
        permissionBoundary: null,
        settings: { invitationExpiryDays: 7, requireMfa: false, requireApproval: false, allowedEmailDomains: [], autoJoinDomains: [] },
      });
      expect(response.data.organisation.viewerPermissions).toEqual(expect.arrayContaining(['org:read', 'org:update', 'members:read']));
    });

    it('answers null, with no error, for another organisation (Admin of A asking about B)', async () => {
      const response = await service.graphql(OVERVIEW, { id: orgB.id }, adminOfA.token);
      expect(response).toEqual({ data: { organisation: null } });
    });

    it('answers null for another organisation through aliases too', async () => {
      const response = await service.graphql(
        'query($a: ID!, $b: ID!) { mine: organisation(id: $a) { id } theirs: organisation(id: $b) { id name slug } }',
        { a: orgA.id, b: orgB.id },
        adminOfA.token,
      );
      expect(response).toEqual({ data: { mine: { id: orgA.id }, theirs: null } });
    });

    it('answers null for a garbage or unknown id', async () => {
      expect(await service.graphql(OVERVIEW, { id: 'garbage' }, adminOfA.token)).toEqual({ data: { organisation: null } });
      expect(await service.graphql(OVERVIEW, { id: '00000000-0000-4000-8000-000000000000' }, adminOfA.token)).toEqual({ data: { organisation: null } });
    });

    it('refuses a request without a token', async () => {
      expect(errorCodes(await service.graphql(OVERVIEW, { id: orgA.id }))).toEqual(['UNAUTHENTICATED']);
    });

    it('shows a deactivated member the name but no permissions', async () => {
      const gone = await memberWith(service, orgA.id, ['admin'], { status: MembershipStatus.DEACTIVATED });
      const response = await service.graphql(VIEWER_PERMISSIONS, { id: orgA.id }, gone.token);
      expect(response).toEqual({ data: { organisation: { id: orgA.id, viewerPermissions: [] } } });
      const settings = await service.graphql(OVERVIEW, { id: orgA.id }, gone.token);
      expect(errorCodes(settings)).toContain('FORBIDDEN');
    });

    it('shows a platform admin who is not a member id, name and slug, but refuses settings with FORBIDDEN', async () => {
      const basic = await service.graphql('query($id: ID!) { organisation(id: $id) { id name slug createdAt viewerPermissions } }', { id: orgB.id }, admin.token);
      expect(basic.errors).toBeUndefined();
      expect(basic.data.organisation).toMatchObject({ id: orgB.id, slug: orgB.slug, name: `Organisation ${orgB.slug}`, viewerPermissions: [] });
      const settings = await service.graphql('query($id: ID!) { organisation(id: $id) { id settings { requireMfa } } }', { id: orgB.id }, admin.token);
      expect(errorCodes(settings)).toEqual(['FORBIDDEN']);
      expect(settings.errors?.[0].path).toEqual(['organisation', 'settings']);
      const boundary = await service.graphql('query($id: ID!) { organisation(id: $id) { id permissionBoundary } }', { id: orgB.id }, admin.token);
      expect(errorCodes(boundary)).toEqual(['FORBIDDEN']);
    });
  });

  describe('updateOrganisation', () => {
    let org: TestOrganisation;
    let other: TestOrganisation;
    let orgAdmin: SignedInUser;
    let viewer: SignedInUser;

    beforeAll(async () => {
      org = await createOrganisation(service, admin);
      other = await createOrganisation(service, admin);
      orgAdmin = await memberWith(service, org.id, ['admin']);
      viewer = await memberWith(service, org.id, ['viewer']);
    });

    it('lets an Admin (org:update) change the name and settings, with an audit row', async () => {
      // autoJoinDomains take only the organisation's verified domains (test/domains.test.ts).
      await verifiedDomain(service, org.id, 'acme.io');
      const auditBefore = await db().getRepository(AuditEventEntity).countBy({ organisationId: org.id, action: 'organisation.updated' });
      const response = await service.graphql(
        UPDATE,
        {
          id: org.id,
          input: { name: ' Renamed ', invitationExpiryDays: 30, requireMfa: false, requireApproval: true, allowedEmailDomains: ['Example.COM', 'example.com', 'acme.io'], autoJoinDomains: ['acme.io'] },
        },
        orgAdmin.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data.updateOrganisation).toEqual({
        id: org.id,
        name: 'Renamed',
        permissionBoundary: null,
        settings: { invitationExpiryDays: 30, requireMfa: false, requireApproval: true, allowedEmailDomains: ['example.com', 'acme.io'], autoJoinDomains: ['acme.io'] },
      });
      expect(await organisationRow(org.id)).toMatchObject({ name: 'Renamed', invitationExpiryDays: 30, requireApproval: true, autoJoinDomains: ['acme.io'] });
      expect(await db().getRepository(AuditEventEntity).countBy({ organisationId: org.id, action: 'organisation.updated' })).toBe(auditBefore + 1);

      const minimum = await service.graphql(UPDATE, { id: org.id, input: { invitationExpiryDays: 1, allowedEmailDomains: [] } }, orgAdmin.token);
      expect(minimum.errors).toBeUndefined();
      expect(minimum.data.updateOrganisation.settings).toMatchObject({ invitationExpiryDays: 1, allowedEmailDomains: [] });
      expect(minimum.data.updateOrganisation.name).toBe('Renamed');
    });

    it('refuses a Viewer with FORBIDDEN and changes nothing', async () => {
      const before = await organisationRow(org.id);
      const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: org.id, input: { name: 'Hijacked' } }, viewer.token));
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(await organisationRow(org.id)).toEqual(before);
    });

    it('answers NOT_FOUND to an Admin of another organisation, and to unknown or garbage ids', async () => {
      const before = await organisationRow(other.id);
      for (const id of [other.id, '00000000-0000-4000-8000-000000000000', 'garbage']) {
        const response = await expectNothingWritten(() => service.graphql(UPDATE, { id, input: { name: 'Hijacked' } }, orgAdmin.token));
        expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      }
      expect(await organisationRow(other.id)).toEqual(before);
    });

    it('refuses a request without a token', async () => {
      const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: org.id, input: { name: 'Anon' } }));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses a platform admin who is not a member (NOT_FOUND: no data access inside)', async () => {
      const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: org.id, input: { name: 'Platform' } }, admin.token));
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });

    const badUpdates: [string, Record<string, unknown>][] = [
      ['invitationExpiryDays 0', { invitationExpiryDays: 0 }],
      ['invitationExpiryDays 31', { invitationExpiryDays: 31 }],
      ['a blank name', { name: '  ' }],
      ['an empty name', { name: '' }],
      ['a bad allowed domain', { allowedEmailDomains: ['example.com', 'not a domain'] }],
      ['an allowed domain with @', { allowedEmailDomains: ['@example.com'] }],
      ['a bad auto-join domain', { autoJoinDomains: ['localhost'] }],
      ['a good change with a bad one', { name: 'Fine', invitationExpiryDays: 99 }],
    ];
    it.each(badUpdates)('refuses %s with BAD_USER_INPUT and changes nothing', async (_label, input) => {
      const before = await organisationRow(org.id);
      const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: org.id, input }, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(await organisationRow(org.id)).toEqual(before);
    });

    describe('requiring MFA', () => {
      let guarded: TestOrganisation;
      let guardedAdmin: SignedInUser;
      const withSecondFactor = (user: SignedInUser) => service.token({ subject: user.subject, email: user.email, amr: ['pwd', 'otp'] });

      beforeEach(async () => {
        guarded = await createOrganisation(service, admin);
        guardedAdmin = await memberWith(service, guarded.id, ['admin']);
      });

      it.each([
        ['an Owner', () => guarded.owner],
        ['an Admin', () => guardedAdmin],
      ])('refuses %s whose token has no second factor with MFA_REQUIRED before anything is written', async (_label, who) => {
        const before = await organisationRow(guarded.id);
        for (const input of [{ requireMfa: true }, { requireMfa: true, name: 'Locked', invitationExpiryDays: 3 }]) {
          const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: guarded.id, input }, who().token));
          expect(errorCodes(response)).toEqual(['MFA_REQUIRED']);
          expect(response.errors?.[0].message).toMatch(/sign in with a second factor first/i);
          expect(response.data).toBeNull();
        }
        expect(await organisationRow(guarded.id)).toEqual(before);
        // Nobody is locked out: the same token still manages the organisation.
        const still = await service.graphql(UPDATE, { id: guarded.id, input: { name: 'Still mine' } }, who().token);
        expect(still.errors).toBeUndefined();
      });

      it('lets an Owner with a second factor require MFA, then undo it; without one, the Owner is asked for it', async () => {
        const strongToken = await withSecondFactor(guarded.owner);
        const enabled = await service.graphql(UPDATE, { id: guarded.id, input: { requireMfa: true } }, strongToken);
        expect(enabled.errors).toBeUndefined();
        expect(enabled.data.updateOrganisation.settings.requireMfa).toBe(true);
        expect((await organisationRow(guarded.id)).requireMfa).toBe(true);

        const weak = await service.graphql(UPDATE, { id: guarded.id, input: { requireMfa: false } }, guarded.owner.token);
        expect(errorCodes(weak)).toEqual(['MFA_REQUIRED']);
        const disabled = await service.graphql(UPDATE, { id: guarded.id, input: { requireMfa: false } }, strongToken);
        expect(disabled.errors).toBeUndefined();
        expect((await organisationRow(guarded.id)).requireMfa).toBe(false);
      });

      it('lets a caller without a second factor leave MFA off (requireMfa: false)', async () => {
        const response = await service.graphql(UPDATE, { id: guarded.id, input: { requireMfa: false, name: 'Relaxed' } }, guarded.owner.token);
        expect(response.errors).toBeUndefined();
        expect(response.data.updateOrganisation).toMatchObject({ name: 'Relaxed', settings: { requireMfa: false } });
      });
    });

    describe('permission boundary', () => {
      let bounded: TestOrganisation;
      let boundedAdmin: SignedInUser;

      beforeAll(async () => {
        bounded = await createOrganisation(service, admin);
        boundedAdmin = await memberWith(service, bounded.id, ['admin']);
      });

      it('refuses an Admin (not an Owner) with FORBIDDEN and changes nothing', async () => {
        const before = await organisationRow(bounded.id);
        const response = await expectNothingWritten(() =>
          service.graphql(UPDATE, { id: bounded.id, input: { permissionBoundary: ['org:read'] } }, boundedAdmin.token),
        );
        expect(errorCodes(response)).toEqual(['FORBIDDEN']);
        expect(await organisationRow(bounded.id)).toEqual(before);
      });

      it('refuses an unknown permission key with BAD_USER_INPUT and changes nothing', async () => {
        const response = await expectNothingWritten(() =>
          service.graphql(UPDATE, { id: bounded.id, input: { permissionBoundary: ['org:read', 'hr:salaries'] } }, bounded.owner.token),
        );
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect((await organisationRow(bounded.id)).permissionBoundary).toBeNull();
      });

      it('lets an Owner set it; it cuts the viewerPermissions of an Admin and a Viewer; the Owner can lift it again', async () => {
        const before = await service.graphql(VIEWER_PERMISSIONS, { id: bounded.id }, boundedAdmin.token);
        expect(before.data.organisation.viewerPermissions).toEqual(expect.arrayContaining(['org:update', 'roles:manage', 'audit:read']));
        const auditBefore = await db().getRepository(AuditEventEntity).countBy({ organisationId: bounded.id, action: 'organisation.updated' });

        const set = await service.graphql(
          UPDATE,
          { id: bounded.id, input: { permissionBoundary: ['teams:read', 'org:update', 'org:read', 'members:read', 'members:invite', 'org:update'] } },
          bounded.owner.token,
        );
        expect(set.errors).toBeUndefined();
        // Stored closed under implication (members:invite brings invitations:read), deduplicated and sorted.
        const expected = ['invitations:read', 'members:invite', 'members:read', 'org:read', 'org:update', 'teams:read'];
        expect(set.data.updateOrganisation.permissionBoundary).toEqual(expected);
        expect((await organisationRow(bounded.id)).permissionBoundary).toEqual(expected);
        expect(await db().getRepository(AuditEventEntity).countBy({ organisationId: bounded.id, action: 'organisation.updated' })).toBe(auditBefore + 1);

        const after = await service.graphql(VIEWER_PERMISSIONS, { id: bounded.id }, boundedAdmin.token);
        expect(after.data.organisation.viewerPermissions).toEqual(expected);
        const overview = await service.graphql(OVERVIEW, { id: bounded.id }, boundedAdmin.token);
        expect(overview.data.organisation.permissionBoundary).toEqual(expected);
        // A Viewer is cut too: only what both allow remains.
        const boundedViewer = await memberWith(service, bounded.id, ['viewer']);
        expect((await service.graphql(VIEWER_PERMISSIONS, { id: bounded.id }, boundedViewer.token)).data.organisation.viewerPermissions).toEqual([
          'members:read',
          'org:read',
          'teams:read',
        ]);

        // The Owner can still change it, and lifting it gives the Admin everything back.
        const lifted = await service.graphql(UPDATE, { id: bounded.id, input: { permissionBoundary: null } }, bounded.owner.token);
        expect(lifted.errors).toBeUndefined();
        expect(lifted.data.updateOrganisation.permissionBoundary).toBeNull();
        const restored = await service.graphql(VIEWER_PERMISSIONS, { id: bounded.id }, boundedAdmin.token);
        expect(restored.data.organisation.viewerPermissions).toEqual(before.data.organisation.viewerPermissions);
      });

      it('refuses a boundary without org:update (it would lock everyone out, Owners included)', async () => {
        const response = await expectNothingWritten(() =>
          service.graphql(UPDATE, { id: bounded.id, input: { permissionBoundary: ['org:read', 'members:read'] } }, bounded.owner.token),
        );
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      });

      it('leaves the boundary alone when the input omits it', async () => {
        const before = (await organisationRow(bounded.id)).permissionBoundary;
        const response = await service.graphql(UPDATE, { id: bounded.id, input: { name: 'Bounded' } }, boundedAdmin.token);
        expect(response.errors).toBeUndefined();
        expect((await organisationRow(bounded.id)).permissionBoundary).toEqual(before);
      });
    });
  });
});
