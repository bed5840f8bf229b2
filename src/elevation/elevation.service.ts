import type { DataSource, EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import { assertCanGrant, canGrant } from '../access/escalation-guard';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { countWhere } from '../core/database/sql';
import { runTransaction } from '../core/database/transaction';
import { uniqueViolation } from '../core/database/postgres-errors';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../core/errors';
import type { Connection, PageArgs } from '../core/graphql/connection';
import { sharedLookup } from '../core/authz/rule-engine';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { lockOrganisation } from '../memberships/last-owner-guard';
import type { RoleAssignmentService } from '../memberships/role-assignment.service';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import type { RoleEntity } from '../roles/role.entity';
import { expireStaleElevationRequests } from './elevation-expiry';
import { ElevationStatus } from './elevation.enums';
import { MAX_REASON_LENGTH, type RequestElevationInput } from './elevation.inputs';
import { ELEVATION_COLUMNS, ELEVATION_FROM, elevationFromRow, elevationWritten, statusCondition } from './elevation.rows';
import type { ElevationRequestType } from './elevation.type';
import { mutationPermissions } from '../core/authz/mutation-permissions';

const HOUR = 3_600_000;

export interface ElevationOptions {
  /** ELEVATION_REQUEST_PENDING_HOURS: how long a request waits for a decision. */
  pendingHours: number;
}

/**
 * Just-in-time elevation: a member asks for a role for some hours (at most the organisation's
 * maxElevationHours) with a reason; a holder of members:assign-roles who could grant the role (the
 * escalation rules of assignRoles), never the requester, approves or denies; an approval grants the
 * role until now + hours through {@link RoleAssignmentService.grantUntil}. Every step is audited and
 * runs under the organisation's lock, so of two approvers at once one decides and the other gets CONFLICT.
 */
export class ElevationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
    private readonly paginator: KeysetPaginator,
    private readonly roleAssignment: RoleAssignmentService,
    private readonly options: ElevationOptions,
  ) {}

  async request(ctx: RequestContext, input: RequestElevationInput): Promise<ElevationRequestType> {
    const snapshot = (await mutationPermissions.requestElevation.authorize(ctx, { input })).snapshot as AccessSnapshot;
    const organisation = (await ctx.loaders.organisationById.load(input.organisationId)) as OrganisationEntity;
    if (!Number.isInteger(input.hours) || input.hours < 1 || input.hours > organisation.maxElevationHours) {
      throw badInput(`hours must be between 1 and ${organisation.maxElevationHours} (the organisation's maxElevationHours)`, { field: 'hours' });
    }
    const reason = (input.reason ?? '').trim();
    if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) throw badInput(`reason must hold 1–${MAX_REASON_LENGTH} characters`, { field: 'reason' });
    const role = isId(input.roleId) ? await ctx.loaders.roleById.load(input.roleId) : null;
    if (!role || role.organisationId !== organisation.id) throw badInput('Unknown role', { field: 'roleId' });
    if (role.builtInKey === 'owner') throw badInput('The Owner role cannot be time-bound', { field: 'roleId' });
    const membershipId = snapshot.membershipId;
    const created = await this.writing(() =>
      runTransaction(this.dataSource, async (manager) => {
        await lockOrganisation(manager, organisation.id);
        const held: unknown[] = await manager.query(
          'SELECT 1 FROM membership_roles WHERE membership_id = $1 AND role_id = $2 AND expires_at IS NULL',
          [membershipId, role.id],
        );
        if (held.length > 0) throw conflict('You hold this role already, permanently');
        // A request left PENDING past its bound is over: store it EXPIRED so a new one may be made.
        await expireStaleElevationRequests(manager, this.audit, ctx, organisation.id, 'AND requester_membership_id = $2 AND role_id = $3', [membershipId, role.id]);
        const [row] = await manager.query(
          elevationWritten(
            `INSERT INTO elevation_requests (organisation_id, requester_membership_id, role_id, hours, reason, pending_until)
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6::int)) RETURNING *`,
          ),
          [organisation.id, membershipId, role.id, input.hours, reason, this.options.pendingHours],
        );
        const request = elevationFromRow(row);
        await this.audit.record(manager, ctx, {
          organisationId: organisation.id,
          action: 'elevation.requested',
          targetType: 'ElevationRequest',
          targetId: request.id,
          details: { membershipId, roleId: role.id, hours: input.hours, reason },
        });
        return request;
      }),
    );
    return created;
  }

  /**
   * Approves or denies (members:assign-roles, could grant the role, not the requester). Only a
   * PENDING request in time may be decided: anything else is CONFLICT (two approvers at once: the
   * second one finds it decided).
   */
  async decide(ctx: RequestContext, id: string, approve: boolean, comment: string | null | undefined): Promise<ElevationRequestType> {
    const text = comment === null || comment === undefined ? null : comment.trim() || null;
    if (text !== null && text.length > MAX_REASON_LENGTH) throw badInput(`comment must hold at most ${MAX_REASON_LENGTH} characters`, { field: 'comment' });
    const { object: request, snapshot: known } = await mutationPermissions.decideElevation.authorize(ctx, { id, approve, comment });
    const snapshot = known as AccessSnapshot;
    const organisation = (await ctx.loaders.organisationById.load(request.organisationId)) as OrganisationEntity;
    const role = (await ctx.loaders.roleById.load(request.roleId)) as RoleEntity;
    // The approver could assign the role through assignRoles (escalation rules), or may not decide at all.
    assertCanGrant(snapshot, [role], this.catalogue, organisation.permissionBoundary);
    const decided = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, request.organisationId);
      const current = await this.lockRequest(manager, request.id);
      if (current.status !== ElevationStatus.PENDING) throw conflict(`This request is ${current.status} already`, { status: current.status });
      const status = approve ? ElevationStatus.APPROVED : ElevationStatus.DENIED;
      const grantExpiresAt = approve ? new Date(Date.now() + current.hours * HOUR) : null;
      if (grantExpiresAt) {
        await this.roleAssignment.grantUntil(manager, ctx, current.organisationId, current.requesterMembershipId, current.roleId, grantExpiresAt, { elevationRequestId: current.id });
      }
      const [row] = await manager.query(
        elevationWritten(
          `UPDATE elevation_requests SET status = $2, decided_by_membership_id = $3, decided_at = now(), comment = $4, grant_expires_at = $5, updated_at = now()
           WHERE id = $1 RETURNING *`,
        ),
        [current.id, status, snapshot.membershipId, text, grantExpiresAt],
      );
      await this.audit.record(manager, ctx, {
        organisationId: current.organisationId,
        action: approve ? 'elevation.approved' : 'elevation.denied',
        targetType: 'ElevationRequest',
        targetId: current.id,
        details: { membershipId: current.requesterMembershipId, roleId: current.roleId, hours: current.hours, comment: text, grantExpiresAt },
      });
      return elevationFromRow(row);
    });
    if (approve) {
      ctx.invalidateAccess();
      ctx.loaders.rolesByMembershipId.clear(decided.requesterMembershipId);
    }
    return decided;
  }

  /** The requester withdraws a PENDING request (CONFLICT once decided or expired). */
  async cancel(ctx: RequestContext, id: string): Promise<ElevationRequestType> {
    const { object: request } = await mutationPermissions.cancelElevation.authorize(ctx, { id });
    return runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, request.organisationId);
      const current = await this.lockRequest(manager, request.id);
      if (current.status !== ElevationStatus.PENDING) throw conflict(`This request is ${current.status} already`, { status: current.status });
      const [row] = await manager.query(
        elevationWritten(`UPDATE elevation_requests SET status = 'CANCELLED', updated_at = now() WHERE id = $1 RETURNING *`),
        [current.id],
      );
      await this.audit.record(manager, ctx, {
        organisationId: current.organisationId,
        action: 'elevation.cancelled',
        targetType: 'ElevationRequest',
        targetId: current.id,
        details: { membershipId: current.requesterMembershipId, roleId: current.roleId },
      });
      return elevationFromRow(row);
    });
  }

  /**
   * Requests awaiting (or once awaiting) the caller in an organisation: those for roles the caller
   * could grant, by other members; members:assign-roles (the rules check it). Newest first.
   */
  async forApprover(ctx: RequestContext, organisationId: string, status: ElevationStatus | null | undefined, args: PageArgs): Promise<Connection<ElevationRequestType>> {
    const snapshot = await ctx.requirePermission(organisationId, 'members:assign-roles', 'Organisation');
    const organisation = (await ctx.loaders.organisationById.load(organisationId)) as OrganisationEntity;
    const roles = await ctx.loaders.rolesByOrganisationId.load(organisationId);
    const grantable = roles.filter((role) => canGrant(snapshot, role, this.catalogue, organisation.permissionBoundary)).map((role) => role.id).sort();
    const parameters: unknown[] = [organisationId, grantable, snapshot.membershipId];
    const where = ['e.organisation_id = $1', 'e.role_id = ANY($2::uuid[])', 'e.requester_membership_id IS DISTINCT FROM $3'];
    if (status) where.push(statusCondition(status));
    return this.page(args, JSON.stringify(['elevation-requests', organisationId, snapshot.membershipId, grantable, status ?? null]), where, parameters);
  }

  /** The caller's own requests in every organisation, newest first. */
  async forRequester(ctx: RequestContext, status: ElevationStatus | null | undefined, args: PageArgs): Promise<Connection<ElevationRequestType>> {
    const principal = ctx.requirePrincipal();
    const where = ['rm.user_id = $1'];
    if (status) where.push(statusCondition(status));
    return this.page(args, JSON.stringify(['my-elevation-requests', principal.user.id, status ?? null]), where, [principal.user.id]);
  }

  private async page(args: PageArgs, scope: string, where: string[], parameters: unknown[]): Promise<Connection<ElevationRequestType>> {
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope,
      select: ELEVATION_COLUMNS,
      from: ELEVATION_FROM,
      where,
      parameters,
      key: [
        { sql: 'e.created_at', kind: 'timestamptz' },
        { sql: 'e.id', kind: 'uuid' },
      ],
      descending: true,
      windowCount: true,
    });
    const totalCount = page.windowTotal ?? (await countWhere(this.dataSource, ELEVATION_FROM, where, parameters));
    return page.connection(page.rows.map(elevationFromRow), totalCount);
  }

  /**
   * The request, if the caller may see it: its requester, or a members:assign-roles holder in its
   * organisation. Anything else (another organisation's, or a made-up id) is NOT_FOUND.
   */
  async requireVisible(ctx: RequestContext, id: string): Promise<ElevationRequestType> {
    ctx.requirePrincipal();
    // Shared by the rule and the service of one mutation field: one lookup (the service locks it again to change it).
    const rows: Record<string, any>[] = isId(id)
      ? await sharedLookup(ctx, `elevationRequest:${id}`, () => this.dataSource.query(`SELECT ${ELEVATION_COLUMNS} FROM ${ELEVATION_FROM} WHERE e.id = $1`, [id]))
      : [];
    const request = rows[0] ? elevationFromRow(rows[0]) : null;
    if (!request) throw notFound('ElevationRequest');
    if (request.requesterUserId === ctx.userId) return request;
    const snapshot: AccessSnapshot = await ctx.access(request.organisationId);
    if (snapshot.has('members:assign-roles')) return request;
    if (snapshot.mfaStandsInTheWay('members:assign-roles')) throw new AppError(ErrorCode.MFA_REQUIRED);
    throw notFound('ElevationRequest');
  }

  private async lockRequest(manager: EntityManager, id: string): Promise<ElevationRequestType> {
    const [row] = await manager.query(`SELECT ${ELEVATION_COLUMNS} FROM ${ELEVATION_FROM} WHERE e.id = $1 FOR UPDATE OF e`, [id]);
    if (!row) throw notFound('ElevationRequest');
    return elevationFromRow(row);
  }

  /** One PENDING request per member and role: a second one is CONFLICT. */
  private async writing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (uniqueViolation(error) === 'elevation_requests_one_pending_key') throw conflict('You have a pending request for this role already');
      throw error;
    }
  }
}
