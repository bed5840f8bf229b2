import type DataLoader from 'dataloader';
import { createMembershipAccessLoader, createViewerAccessLoader } from '../../access/access-snapshot.loader';
import type { AccessSnapshot } from '../../access/access-snapshot';
import { createLoaders, type Loaders } from './loaders';
import type { Principal } from '../auth/principal';
import { AppError, ErrorCode, notFound, organisationRefused, unauthenticated } from '../errors';
import type { AppServices } from './app-services';
import { noteOrganisation } from './request-scope';
import { recordRefusal } from '../observability/authz-metrics';

/**
 * Everything one request carries: the principal, its id, per-organisation permission snapshots and
 * per-request DataLoaders. Services take it first.
 */
export class RequestContext {
  private viewerAccessLoader?: DataLoader<string, AccessSnapshot>;
  private membershipAccessLoader?: DataLoader<string, AccessSnapshot | null>;
  private loaderSet?: Loaders;
  private readonly resolvedAccess = new Map<string, AccessSnapshot>();

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
    this.viewerAccessLoader ??= createViewerAccessLoader(this.services.dataSource, this.services.catalogue, this.userId, this.principal?.hasMfa ?? false);
    const snapshot = await this.viewerAccessLoader.load(organisationId);
    this.resolvedAccess.set(organisationId, snapshot);
    noteOrganisation(organisationId); // for the request's log line
    return snapshot;
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
    await Promise.all([...new Set(organisationIds)].map((id) => this.access(id)));
  }

  /** Forgets computed snapshots (after a mutation changed roles or memberships). */
  invalidateAccess(): void {
    this.resolvedAccess.clear();
    this.viewerAccessLoader = undefined;
    this.membershipAccessLoader = undefined;
  }

  /** Any member's role-based permissions (for `Membership.effectivePermissions`). */
  membershipAccess(membershipId: string): Promise<AccessSnapshot | null> {
    this.membershipAccessLoader ??= createMembershipAccessLoader(this.services.dataSource, this.services.catalogue);
    return this.membershipAccessLoader.load(membershipId);
  }

  /**
   * Requires `permission` in the organisation (or, with `teamId`, in that team's scope). Fails with
   * FORBIDDEN (`reason`) when the organisation is suspended or deleted and the caller an active member of it,
   * MFA_REQUIRED when only the MFA policy stands in the way (it withholds `permission`), NOT_FOUND when the caller has no access
   * there at all (another organisation looks like nothing), FORBIDDEN otherwise.
   */
  async requirePermission(organisationId: string, permission: string, what = 'Object', teamId?: string): Promise<AccessSnapshot> {
    this.requirePrincipal();
    const snapshot = await this.access(organisationId);
    if (teamId ? snapshot.hasInTeam(teamId, permission) : snapshot.has(permission)) return snapshot;
    if (snapshot.refusal) {
      recordRefusal(permission, ErrorCode.FORBIDDEN);
      throw organisationRefused(snapshot.refusal);
    }
    const code = snapshot.withheldByMfa(permission) ? ErrorCode.MFA_REQUIRED : snapshot.active ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND;
    recordRefusal(permission, code);
    if (code === ErrorCode.MFA_REQUIRED) throw new AppError(ErrorCode.MFA_REQUIRED);
    if (code === ErrorCode.NOT_FOUND) throw notFound(what);
    throw new AppError(ErrorCode.FORBIDDEN, `Missing permission ${permission}`);
  }
}
