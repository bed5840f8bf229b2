import { randomBytes } from 'node:crypto';
import { MembershipRoleEntity } from '../../src/memberships/membership-role.entity';
import { MembershipStatus } from '../../src/memberships/membership-status';
import { MembershipEntity } from '../../src/memberships/membership.entity';
import { RoleEntity } from '../../src/roles/role.entity';
import type { TokenOptions } from './identity-provider';
import type { TestService } from './test-service';

export interface SignedInUser {
  token: string;
  userId: string;
  email: string;
  subject: string;
}

const unique = () => randomBytes(4).toString('hex');

/** A person who signed in once (provisioned through the real path). */
export async function signIn(service: TestService, options: TokenOptions = {}): Promise<SignedInUser> {
  const subject = options.subject ?? service.idp.nextSubject();
  const email = (options.email ?? `${subject}@example.com`) as string;
  const token = await service.token({ ...options, subject, email });
  const response = await service.graphql('{ viewer { user { id } } }', {}, token);
  if (!response.data) throw new Error(`sign-in failed: ${JSON.stringify(response.errors)}`);
  return { token, userId: response.data.viewer.user.id, email, subject };
}

export async function platformAdmin(service: TestService): Promise<SignedInUser> {
  return signIn(service, { platformAdmin: true });
}

export interface TestOrganisation {
  id: string;
  slug: string;
  owner: SignedInUser;
}

/** An organisation created through `createOrganisation` by a platform admin, owned by a new signed-in user. */
export async function createOrganisation(service: TestService, admin: SignedInUser, owner?: SignedInUser): Promise<TestOrganisation> {
  const theOwner = owner ?? (await signIn(service));
  const slug = `org-${unique()}`;
  const response = await service.graphql(
    'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id slug } }',
    { input: { name: `Organisation ${slug}`, slug, ownerEmail: theOwner.email } },
    admin.token,
  );
  if (!response.data) throw new Error(`createOrganisation failed: ${JSON.stringify(response.errors)}`);
  return { id: response.data.createOrganisation.id, slug, owner: theOwner };
}

/** Adds a user to an organisation with built-in roles (by key) or role ids, directly in the database. */
export async function addMember(
  service: TestService,
  organisationId: string,
  userId: string,
  options: { builtInRoles?: string[]; roleIds?: string[]; status?: MembershipStatus } = {},
): Promise<string> {
  const manager = service.database.dataSource.manager;
  const membership = await manager.save(manager.create(MembershipEntity, { organisationId, userId, status: options.status ?? MembershipStatus.ACTIVE }));
  const roleIds = [...(options.roleIds ?? [])];
  for (const key of options.builtInRoles ?? []) {
    roleIds.push((await manager.findOneByOrFail(RoleEntity, { organisationId, builtInKey: key })).id);
  }
  if (roleIds.length > 0) await manager.insert(MembershipRoleEntity, roleIds.map((roleId) => ({ membershipId: membership.id, roleId, organisationId })));
  return membership.id;
}

/** A new signed-in user who is a member of the organisation with the given built-in roles. */
export async function memberWith(service: TestService, organisationId: string, builtInRoles: string[], options: TokenOptions & { status?: MembershipStatus } = {}): Promise<SignedInUser & { membershipId: string }> {
  const user = await signIn(service, options);
  const membershipId = await addMember(service, organisationId, user.userId, { builtInRoles, status: options.status });
  return { ...user, membershipId };
}
