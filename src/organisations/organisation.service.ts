import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { AppError, badInput, conflict, ErrorCode, forbidden, notFound } from '../core/errors';
import { entityFromRow } from '../core/database/entity-rows';
import { countWhere, escapeLike } from '../core/database/sql';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { normaliseDomain } from '../domains/domain-name';
import type { OrganisationDomainService } from '../domains/organisation-domain.service';
import type { MembershipWriter } from '../memberships/membership-writer';
import { MembershipStatus } from '../memberships/membership-status';
import { BUILT_IN_ROLES } from '../roles/built-in-roles';
import { RoleEntity } from '../roles/role.entity';
import { releaseUnverifiedEmails } from '../users/email-ownership';
import { UserEntity } from '../users/user.entity';
import { OrganisationEntity } from './organisation.entity';
import { DOMAIN_PATTERN, SLUG_PATTERN, type CreateOrganisationInput, type UpdateOrganisationInput } from './organisation.inputs';
import { runTransaction } from '../core/database/transaction';
import { emitEvent } from '../events/event-emitter';
import { snapshotUnderMfaPolicy } from '../access/access-snapshot.loader';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import type { AccessSnapshot } from '../access/access-snapshot';

/** Organisations: listing, creation with built-in roles and first Owner, settings and boundary. */
export class OrganisationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly memberships: MembershipWriter,
    private readonly catalogue: PermissionCatalogue,
    private readonly paginator: KeysetPaginator,
    private readonly domains: OrganisationDomainService,
  ) {}

  /**
   * Every organisation for platform administrators (any status: support sees suspended and deleted ones);
   * otherwise those where the caller is a member. `search`: a case-insensitive part of the name or slug.
   */
  async list(ctx: RequestContext, args: PageArgs, rawSearch?: string | null): Promise<Connection<OrganisationEntity>> {
    const principal = ctx.requirePrincipal();
    const search = typeof rawSearch === 'string' ? rawSearch.trim().toLowerCase() : '';
    if (search.length > 100) throw badInput('search must be at most 100 characters', { field: 'search' });
    const own = !principal.isPlatformAdmin;
    const from = own ? 'organisations o JOIN memberships m ON m.organisation_id = o.id' : 'organisations o';
    const where = own ? ['m.user_id = $1'] : [];
    const parameters: unknown[] = own ? [principal.user.id] : [];
    if (search) {
      // Served by the trigram indexes on lower(name) and slug; LIKE's wildcards in the text match themselves.
      parameters.push(`%${escapeLike(search)}%`);
      where.push(`(lower(o.name) LIKE $${parameters.length} OR o.slug LIKE $${parameters.length})`);
    }
    const page = await this.paginator.page<Record<string, unknown>>(args, {
      scope: JSON.stringify(['organisations', own ? principal.user.id : 'all', search]),
      select: 'o.*',
      from,
      where,
      parameters,
      key: [
        { sql: 'o.created_at', kind: 'timestamptz' },
        { sql: 'o.id', kind: 'uuid' },
      ],
    });
    const totalCount = await countWhere(this.dataSource, from, where, parameters);
    return page.connection(page.rows.map((row) => entityFromRow(this.dataSource, OrganisationEntity, row)), totalCount);
  }

  /** `organisation(id:, slug:)`: exactly one of them (else BAD_USER_INPUT); null when missing or not visible. */
  async findVisibleBy(ctx: RequestContext, by: { id?: string | null; slug?: string | null }): Promise<OrganisationEntity | null> {
    const hasId = by.id !== undefined && by.id !== null;
    const hasSlug = by.slug !== undefined && by.slug !== null;
    if (hasId === hasSlug) throw badInput('Give exactly one of id and slug', { field: hasId ? 'slug' : 'id' });
    if (hasId) return this.findVisible(ctx, by.id as string);
    const slug = (by.slug as string).trim().toLowerCase();
    if (slug.length > 63 || !SLUG_PATTERN.test(slug)) return null;
    const organisation = await ctx.loaders.organisationBySlug.load(slug);
    if (!organisation) return null;
    ctx.loaders.organisationById.prime(organisation.id, organisation);
    return (await this.canSee(ctx, organisation.id)) ? organisation : null;
  }

  /** The organisation if the caller may see it at all (a member of any status, or a platform admin), else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<OrganisationEntity | null> {
    if (!isId(id)) return null;
    // Access first: the snapshot's statement brings the organisation's row too (primed), and an organisation
    // the caller cannot see costs no load.
    if (!(await this.canSee(ctx, id))) return null;
    return ctx.loaders.organisationById.load(id);
  }

  async canSee(ctx: RequestContext, organisationId: string): Promise<boolean> {
    if (ctx.isPlatformAdmin) return true;
    return (await ctx.access(organisationId)).membershipId !== null;
  }

  async create(ctx: RequestContext, input: CreateOrganisationInput): Promise<OrganisationEntity> {
    await mutationPermissions.createOrganisation.authorize(ctx, { input });
    const ownerEmail = input.ownerEmail.trim().toLowerCase();
    try {
      return await runTransaction(this.dataSource, async (manager) => {
        const organisation = await manager.save(manager.create(OrganisationEntity, { name: input.name.trim(), slug: input.slug }));
        await manager.insert(
          RoleEntity,
          BUILT_IN_ROLES.map((role) => ({ organisationId: organisation.id, name: role.name, description: role.description, builtInKey: role.key, permissions: [] })),
        );
        const owner = await this.findOrCreatePlaceholder(manager, ownerEmail);
        await this.audit.record(manager, ctx, {
          organisationId: organisation.id,
          action: 'organisation.created',
          targetType: 'Organisation',
          targetId: organisation.id,
          // The owner by id: audit rows keep no personal data (they cannot be erased; the users row can).
          details: { name: organisation.name, slug: organisation.slug, ownerUserId: owner.id },
        });
        emitEvent(manager, ctx, { organisationId: organisation.id, type: 'organisation.created', objectId: organisation.id, data: { name: organisation.name, slug: organisation.slug, ownerUserId: owner.id, ownerEmail } });
        await this.memberships.join(manager, ctx, { organisationId: organisation.id, userId: owner.id, builtInRole: 'owner', status: MembershipStatus.ACTIVE, via: 'organisation-created' });
        return organisation;
      });
    } catch (error) {
      if (uniqueViolation(error) === 'organisations_slug_key') throw conflict(`The slug "${input.slug}" is taken`);
      throw error;
    }
  }

  /**
   * An existing user with that email (who signed in with it verified, or a placeholder), or a new placeholder
   * linked at the person's first verified sign-in.
   */
  async findOrCreatePlaceholder(manager: EntityManager, email: string): Promise<UserEntity> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`user-email:${email}`]);
    await releaseUnverifiedEmails(manager, this.audit, null, [email]);
    const existing = await manager.createQueryBuilder(UserEntity, 'u').where('lower(u.email) = :email', { email }).getOne();
    if (existing) return existing;
    return manager.save(manager.create(UserEntity, { email, emailVerified: false, displayName: '' }));
  }

  async update(ctx: RequestContext, id: string, input: UpdateOrganisationInput): Promise<OrganisationEntity> {
    const snapshot = (await mutationPermissions.updateOrganisation.authorize(ctx, { id, input })).snapshot as AccessSnapshot;
    const changes = this.validatedChanges(input);
    this.takeMfaPolicy(input, changes);
    if (input.permissionBoundary !== undefined) {
      if (!snapshot.owner) throw forbidden('Only Owners change the permission boundary');
      changes.permissionBoundary = this.validatedBoundary(input.permissionBoundary);
    }
    // Requiring MFA without a second factor in one's own token would lock the caller out the moment it
    // commits, and with them everyone else who could undo it: refused before anything is written.
    if (changes.requireMfa === true && !ctx.requirePrincipal().hasMfa) {
      throw new AppError(ErrorCode.MFA_REQUIRED, 'Sign in with a second factor first: requiring MFA without one would lock you out of this organisation');
    }
    return runTransaction(this.dataSource, async (manager) => {
      const organisation = await manager.findOne(OrganisationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!organisation) throw notFound('Organisation');
      // Under the organisation's lock, which removeDomain takes too: no domain leaves between check and write.
      if (changes.autoJoinDomains) await this.domains.assertVerified(manager, id, changes.autoJoinDomains);
      // Under the same lock, which deleting a role takes too: the policy names only roles that exist here.
      if (changes.mfaRequiredRoleIds) await this.assertOwnRoles(manager, id, changes.mfaRequiredRoleIds);
      await this.assertMfaPolicyKeepsCaller(manager, ctx, organisation, changes);
      const before = Object.fromEntries(Object.keys(changes).map((key) => [key, organisation[key as keyof OrganisationEntity]]));
      Object.assign(organisation, changes);
      const saved = await manager.save(organisation);
      await this.audit.record(manager, ctx, { organisationId: id, action: 'organisation.updated', targetType: 'Organisation', targetId: id, details: { before, after: changes } });
      emitEvent(manager, ctx, { organisationId: id, type: 'organisation.updated', objectId: id, data: { before, after: changes } });
      ctx.invalidateAccess();
      ctx.loaders.organisationById.clear(id).prime(id, saved);
      return saved;
    });
  }

  /**
   * `mfaPolicy` into the changes: `requiredForAll` is `requireMfa` (one column), so the two may be given
   * together only when they agree; omitted fields stay as they are, `graceUntil: null` ends the grace period.
   */
  private takeMfaPolicy(input: UpdateOrganisationInput, changes: Partial<OrganisationEntity>): void {
    const policy = input.mfaPolicy;
    if (!policy) return;
    if (policy.requiredForAll !== undefined && policy.requiredForAll !== null) {
      if (changes.requireMfa !== undefined && changes.requireMfa !== policy.requiredForAll) {
        throw badInput('requireMfa and mfaPolicy.requiredForAll are the same setting; they disagree', { field: 'mfaPolicy.requiredForAll' });
      }
      changes.requireMfa = policy.requiredForAll;
    }
    if (policy.requiredForRoleIds !== undefined && policy.requiredForRoleIds !== null) changes.mfaRequiredRoleIds = [...new Set(policy.requiredForRoleIds)];
    if (policy.graceUntil !== undefined) {
      if (policy.graceUntil !== null && Number.isNaN(policy.graceUntil.getTime())) throw badInput('mfaPolicy.graceUntil must be a date-time', { field: 'mfaPolicy.graceUntil' });
      changes.mfaGraceUntil = policy.graceUntil;
    }
  }

  /** Every id names a role of this organisation (another organisation's role looks unknown, as in assignRoles). */
  private async assertOwnRoles(manager: EntityManager, organisationId: string, roleIds: string[]): Promise<void> {
    const valid = roleIds.filter(isId);
    const rows: { id: string }[] = valid.length > 0 ? await manager.query('SELECT id FROM roles WHERE organisation_id = $1 AND id = ANY($2::uuid[])', [organisationId, valid]) : [];
    const known = new Set(rows.map((row) => row.id));
    const unknown = roleIds.filter((roleId) => !known.has(roleId));
    if (unknown.length > 0) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { field: 'mfaPolicy.requiredForRoleIds', unknown });
  }

  /**
   * The MFA lock-out guard, for `requireMfa` and `mfaPolicy` alike: a caller whose token shows no second
   * factor may not set a policy that, once enforced (the grace period does not count: it ends), would
   * withhold org:update from them: they, and perhaps everyone who could undo it, would be locked out.
   */
  private async assertMfaPolicyKeepsCaller(manager: EntityManager, ctx: RequestContext, organisation: OrganisationEntity, changes: Partial<OrganisationEntity>): Promise<void> {
    const principal = ctx.requirePrincipal();
    if (principal.hasMfa) return;
    if (!('requireMfa' in changes || 'mfaRequiredRoleIds' in changes || 'mfaGraceUntil' in changes)) return;
    const policy = {
      requiredForAll: changes.requireMfa ?? organisation.requireMfa,
      requiredForRoleIds: changes.mfaRequiredRoleIds ?? organisation.mfaRequiredRoleIds ?? [],
      graceUntil: null,
    };
    const snapshot = await snapshotUnderMfaPolicy(manager, this.catalogue, organisation.id, principal.user.id, policy, false);
    if (snapshot.withheldByMfa('org:update')) {
      throw new AppError(ErrorCode.MFA_REQUIRED, 'Sign in with a second factor first: this MFA policy would lock you out of this organisation');
    }
  }

  private validatedChanges(input: UpdateOrganisationInput): Partial<OrganisationEntity> {
    const changes: Partial<OrganisationEntity> = {};
    if (input.name !== undefined && input.name !== null) changes.name = input.name.trim();
    if (input.invitationExpiryDays !== undefined && input.invitationExpiryDays !== null) changes.invitationExpiryDays = input.invitationExpiryDays;
    if (input.maxElevationHours !== undefined && input.maxElevationHours !== null) changes.maxElevationHours = input.maxElevationHours;
    if (input.requireMfa !== undefined && input.requireMfa !== null) changes.requireMfa = input.requireMfa;
    if (input.requireApproval !== undefined && input.requireApproval !== null) changes.requireApproval = input.requireApproval;
    if (input.allowedEmailDomains) changes.allowedEmailDomains = normaliseDomains(input.allowedEmailDomains, 'allowedEmailDomains');
    if (input.autoJoinDomains) changes.autoJoinDomains = normaliseAutoJoinDomains(input.autoJoinDomains);
    return changes;
  }

  private validatedBoundary(boundary: string[] | null): string[] | null {
    if (boundary === null) return null;
    const unknown = boundary.filter((key) => !this.catalogue.has(key));
    if (unknown.length > 0) throw badInput(`Unknown permissions: ${unknown.join(', ')}`, { field: 'permissionBoundary', unknown });
    // Allowing a permission allows what it implies: the stored boundary is closed under implication.
    const closed = this.catalogue.close(boundary);
    // The boundary bounds Owners too: without org:update nobody could ever change it back.
    if (!closed.has('org:update')) {
      throw badInput('permissionBoundary must keep org:update, or nobody (Owners included) could change the organisation again', { field: 'permissionBoundary' });
    }
    return [...closed].sort();
  }
}

function normaliseDomains(domains: string[], field: string): string[] {
  const normalised = [...new Set(domains.map((domain) => domain.trim().toLowerCase()))];
  const bad = normalised.filter((domain) => !DOMAIN_PATTERN.test(domain));
  if (bad.length > 0) throw badInput(`${field} must hold domain names; not: ${bad.join(', ')}`, { field });
  return normalised;
}

/** The domain normal form of verified domains (IDNs in ASCII, no trailing dot), so the verified ones match. */
function normaliseAutoJoinDomains(domains: string[]): string[] {
  const results = domains.map((domain) => ({ domain, result: normaliseDomain(domain) }));
  const bad = results.filter(({ result }) => !result.ok).map(({ domain }) => JSON.stringify(domain.slice(0, 100)));
  if (bad.length > 0) throw badInput(`autoJoinDomains must hold domain names; not: ${bad.join(', ')}`, { field: 'autoJoinDomains' });
  return [...new Set(results.map(({ result }) => (result.ok ? result.domain : '')))];
}
