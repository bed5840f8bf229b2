import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { badInput, conflict, forbidden, notFound } from '../core/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { MembershipWriter } from '../memberships/membership-writer';
import { MembershipStatus } from '../memberships/membership-status';
import { BUILT_IN_ROLES } from '../roles/built-in-roles';
import { RoleEntity } from '../roles/role.entity';
import { releaseUnverifiedEmails } from '../users/email-ownership';
import { UserEntity } from '../users/user.entity';
import { OrganisationEntity } from './organisation.entity';
import { DOMAIN_PATTERN, type CreateOrganisationInput, type UpdateOrganisationInput } from './organisation.inputs';
import { runTransaction } from '../core/database/transaction';
import { emitEvent } from '../events/event-emitter';

// created_at to the microsecond, as PostgreSQL stores it: a JavaScript Date keeps only milliseconds, and a
// cursor rounded down would repeat the row it names (and every row of the same millisecond) on the next page.
const PRECISE_CREATED_AT = `to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** Organisations: listing, creation with built-in roles and first Owner, settings and boundary. */
export class OrganisationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly memberships: MembershipWriter,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  /** Every organisation for platform administrators; otherwise those where the caller is a member. */
  async list(ctx: RequestContext, first: number | null | undefined, after: string | null | undefined): Promise<Connection<OrganisationEntity>> {
    const limit = pageSize(first);
    const principal = ctx.requirePrincipal();
    const query = this.dataSource.getRepository(OrganisationEntity).createQueryBuilder('o');
    if (!principal.isPlatformAdmin) {
      query.innerJoin('memberships', 'm', 'm.organisation_id = o.id AND m.user_id = :userId', { userId: principal.user.id });
    }
    const totalCount = await query.clone().getCount();
    if (after) {
      const [createdAt, id] = decodeCursor(after, 2);
      if (typeof createdAt !== 'string' || !CURSOR_TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt)) || !isId(id)) {
        throw badInput('Malformed cursor', { argument: 'after' });
      }
      query.andWhere('(o.created_at, o.id) > (CAST(:createdAt AS timestamptz), CAST(:id AS uuid))', { createdAt, id });
    }
    // limit, not take: the membership join is one row per organisation, so no distinct-ids pre-query is needed.
    const { entities, raw } = await query
      .addSelect(PRECISE_CREATED_AT, 'cursor_created_at')
      .orderBy('o.created_at', 'ASC')
      .addOrderBy('o.id', 'ASC')
      .limit(limit + 1)
      .getRawAndEntities<{ o_id: string; cursor_created_at: string }>();
    const preciseCreatedAt = new Map(raw.map((row) => [row.o_id, row.cursor_created_at]));
    const cursorOf = (organisation: OrganisationEntity) => encodeCursor([preciseCreatedAt.get(organisation.id) ?? organisation.createdAt.toISOString(), organisation.id]);
    return toConnection(entities, limit, totalCount, cursorOf);
  }

  /** The organisation if the caller may see it at all (a member of any status, or a platform admin), else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<OrganisationEntity | null> {
    if (!isId(id)) return null;
    const organisation = await ctx.loaders.organisationById.load(id);
    if (!organisation) return null;
    return (await this.canSee(ctx, organisation.id)) ? organisation : null;
  }

  async canSee(ctx: RequestContext, organisationId: string): Promise<boolean> {
    if (ctx.isPlatformAdmin) return true;
    return (await ctx.access(organisationId)).membershipId !== null;
  }

  async create(ctx: RequestContext, input: CreateOrganisationInput): Promise<OrganisationEntity> {
    const principal = ctx.requirePrincipal();
    if (!principal.isPlatformAdmin) throw forbidden('Only platform administrators create organisations');
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
          details: { name: organisation.name, slug: organisation.slug, ownerEmail },
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
    if (!isId(id)) throw notFound('Organisation');
    const snapshot = await ctx.requirePermission(id, 'org:update', 'Organisation');
    const changes = this.validatedChanges(input);
    if (input.permissionBoundary !== undefined) {
      if (!snapshot.owner) throw forbidden('Only Owners change the permission boundary');
      changes.permissionBoundary = this.validatedBoundary(input.permissionBoundary);
    }
    return runTransaction(this.dataSource, async (manager) => {
      const organisation = await manager.findOne(OrganisationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!organisation) throw notFound('Organisation');
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

  private validatedChanges(input: UpdateOrganisationInput): Partial<OrganisationEntity> {
    const changes: Partial<OrganisationEntity> = {};
    if (input.name !== undefined && input.name !== null) changes.name = input.name.trim();
    if (input.invitationExpiryDays !== undefined && input.invitationExpiryDays !== null) changes.invitationExpiryDays = input.invitationExpiryDays;
    if (input.requireMfa !== undefined && input.requireMfa !== null) changes.requireMfa = input.requireMfa;
    if (input.requireApproval !== undefined && input.requireApproval !== null) changes.requireApproval = input.requireApproval;
    if (input.allowedEmailDomains) changes.allowedEmailDomains = normaliseDomains(input.allowedEmailDomains, 'allowedEmailDomains');
    if (input.autoJoinDomains) changes.autoJoinDomains = normaliseDomains(input.autoJoinDomains, 'autoJoinDomains');
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
