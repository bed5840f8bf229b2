import type DataLoader from 'dataloader';
import { createMembershipAccessLoader, createViewerAccessLoader, viewerMembershipsWithAccess } from '../../access/access-snapshot.loader';
import { MembershipEntity } from '../../memberships/membership.entity';
import { DIRECT_ROLES_JSON, directRolesFromJson } from '../../memberships/membership.rows';
import { OrganisationEntity } from '../../organisations/organisation.entity';
import { entityFromJson } from '../database/entity-json';
import type { AccessSnapshot } from '../../access/access-snapshot';
import { createLoaders, type Loaders } from './loaders';
import type { Principal } from '../auth/principal';
import { unauthenticated } from '../errors';
import type { AppServices } from './app-services';
import { noteOrganisation } from './request-scope';
import { countedRefusal } from '../observability/authz-metrics';

/**
 * Everything one request carries: the principal, its id, per-organisation permission snapshots and
 * per-request DataLoaders. Services take it first.
 */
export class RequestContext {
  private viewerAccessLoader?: DataLoader<string, AccessSnapshot>;
  private membershipAccessLoader?: DataLoader<string, AccessSnapshot | null>;
  private loaderSet?: Loaders;
  private readonly resolvedAccess = new Map<string, AccessSnapshot>();
  private ownMemberships?: Promise<MembershipEntity[]>;

  constructor(
    readonly services: AppServices,
    readonly requestId: string,
    readonly principal: Principal | null,
    /** Why the presented token was refused (logged, never shown); null when none was presented or it was good. */
    readonly authFailure: string | null = null,
  ) {}

  get userId(): string | null {
    return this.principal?.user.id ?? null;
  }

  get isPlatformAdmin(): boolean {
    return this.principal?.isPlatformAdmin ?? false;
  }

  /** The principal, or UNAUTHENTICATED. */
  requirePrincipal(): Principal {
    if (!this.principal) throw unauthenticated();
    return this.principal;
  }

  get loaders(): Loaders {
    this.loaderSet ??= createLoaders(this.services.dataSource, this.services.catalogue);
    return this.loaderSet;
  }

  /** The caller's snapshot in an organisation; computed once per organisation per request. */
  async access(organisationId: string): Promise<AccessSnapshot> {
    const known = this.resolvedAccess.get(organisationId);
    if (known) return known;
    this.viewerAccessLoader ??= createViewerAccessLoader(this.services.dataSource, this.services.catalogue, this.userId, this.principal?.hasMfa ?? false, (row) =>
      this.primeOrganisation(row),
    );
    const snapshot = await this.viewerAccessLoader.load(organisationId);
    this.resolvedAccess.set(organisationId, snapshot);
    noteOrganisation(organisationId); // for the request's log line
    return snapshot;
  }

  private primeOrganisation(row: Record<string, unknown>): OrganisationEntity {
    const organisation = entityFromJson(this.services.dataSource, OrganisationEntity, row);
    this.loaders.organisationById.prime(organisation.id, organisation);
    return organisation;
  }

  /**
   * The caller's own memberships (any status, joined date order), loaded in one statement with their access
   * snapshots, organisations and direct roles, all primed into this request: `viewer.memberships` and what
   * its fields read cost that one statement. Empty without a principal.
   */
  viewerMemberships(): Promise<MembershipEntity[]> {
    const userId = this.userId;
    if (!userId) return Promise.resolve([]);
    this.ownMemberships ??= viewerMembershipsWithAccess(this.services.dataSource, this.services.catalogue, userId, this.principal?.hasMfa ?? false, DIRECT_ROLES_JSON).then((rows) => {
      const memberships = rows.map((row) => {
        const membership = entityFromJson(this.services.dataSource, MembershipEntity, row.membership);
        this.primeOrganisation(row.organisation);
        this.primeAccess(row.snapshot);
        this.loaders.membershipById.prime(membership.id, membership);
        this.loaders.rolesByMembershipId.prime(membership.id, directRolesFromJson(row.directRoles));
        return membership;
      });
      this.loaders.membershipsByUserId.prime(userId, memberships);
      return memberships;
    });
    return this.ownMemberships;
  }

  /** The snapshot if already computed in this request: lets rules answer synchronously. */
  peekAccess(organisationId: string): AccessSnapshot | undefined {
    return this.resolvedAccess.get(organisationId);
  }

  /**
   * Seeds the caller's snapshot for its organisation, computed elsewhere (benchmarks, unit tests), as
   * if this request had loaded it. Like DataLoader's `prime`, an already known snapshot is kept.
   */
  primeAccess(snapshot: AccessSnapshot): void {
    if (!this.resolvedAccess.has(snapshot.organisationId)) this.resolvedAccess.set(snapshot.organisationId, snapshot);
  }

  /** Loads the caller's snapshots for many organisations in one statement. */
  async preloadAccess(organisationIds: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const id of organisationIds) if (!this.resolvedAccess.has(id)) missing.add(id);
    if (missing.size > 0) await Promise.all([...missing].map((id) => this.access(id)));
  }

  /** Forgets computed snapshots (after a mutation changed roles or memberships). */
  invalidateAccess(): void {
    this.resolvedAccess.clear();
    this.ownMemberships = undefined;
    this.viewerAccessLoader = undefined;
    this.membershipAccessLoader = undefined;
  }

  /** Any member's role-based permissions (for `Membership.effectivePermissions`). */
  membershipAccess(membershipId: string): Promise<AccessSnapshot | null> {
    this.membershipAccessLoader ??= createMembershipAccessLoader(this.services.dataSource, this.services.catalogue);
    return this.membershipAccessLoader.load(membershipId);
  }

  /**
   * Requires `permission` in the organisation (or, with `teamId`, in that team's scope); fails with its
   * refusal ({@link AccessSnapshot.refusalFor}), counted in `authz_refusals_total`.
   */
  async requirePermission(organisationId: string, permission: string, what = 'Object', teamId?: string): Promise<AccessSnapshot> {
    this.requirePrincipal();
    const snapshot = await this.access(organisationId);
    const refusal = snapshot.refusalFor(permission, what, teamId);
    if (refusal) throw countedRefusal(permission, refusal);
    return snapshot;
  }
}
