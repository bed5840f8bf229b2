import { isEmail } from 'class-validator';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { badInput, conflict, notFound } from '../core/errors';
import { isId } from '../core/ids';
import { emitEvent } from '../events/event-emitter';
import { OrganisationStatus } from '../organisations/organisation-status';
import type { OrganisationService } from '../organisations/organisation.service';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { RoleEntity } from '../roles/role.entity';
import { lockOrganisation } from './last-owner-guard';
import { MembershipStatus } from './membership-status';
import type { MembershipWriter } from './membership-writer';
import { MembershipEntity } from './membership.entity';
import { mutationPermissions } from '../core/authz/mutation-permissions';

/** What an appointment changed. */
export enum AppointmentOutcome {
  /** The person was not a member: they joined as an active Owner. */
  JOINED = 'JOINED',
  /** A member gained the Owner role (and became active if they were not). */
  PROMOTED = 'PROMOTED',
  /** Already an active Owner: nothing changed. */
  UNCHANGED = 'UNCHANGED',
}

export interface Appointment {
  organisationId: string;
  userId: string;
  membershipId: string;
  outcome: AppointmentOutcome;
}

/**
 * Break-glass owner appointment (DESIGN.md §3: platform administrators appoint owners): makes a person an
 * active Owner of an existing organisation, e.g. after its last Owner left the company. An unknown email
 * becomes a placeholder user, linked at the person's first verified sign-in. One transaction, with the
 * organisation locked like every change to its Owners, audited as a platform action
 * (`organisation.owner-appointed`, `platformAction: true`, ids only) with the domain event
 * `organisation.owner_appointed`. The one implementation behind both the `appointOwner` mutation and the
 * admin CLI's `owners appoint`. A suspended organisation may get an Owner (to prepare its reactivation); a
 * deleted or purged one may not (CONFLICT: reactivate it first).
 */
export class OwnerAppointmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly organisations: OrganisationService,
    private readonly memberships: MembershipWriter,
  ) {}

  async appoint(ctx: RequestContext, organisationId: string, rawEmail: string): Promise<Appointment> {
    await mutationPermissions.appointOwner.authorize(ctx, { organisationId, email: rawEmail });
    if (!isId(organisationId)) throw notFound('Organisation');
    const email = typeof rawEmail === 'string' ? rawEmail.trim().toLowerCase() : '';
    if (email.length > 320 || !isEmail(email)) throw badInput(`"${String(rawEmail).slice(0, 100)}" is not an email address`, { field: 'email' });
    const appointment = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, organisationId);
      const organisation = await manager.findOneBy(OrganisationEntity, { id: organisationId });
      if (!organisation) throw notFound('Organisation');
      if (organisation.status === OrganisationStatus.DELETED || organisation.status === OrganisationStatus.PURGED) {
        throw conflict(`The organisation is ${organisation.status}: reactivate it before appointing an Owner`, { status: organisation.status });
      }
      const user = await this.organisations.findOrCreatePlaceholder(manager, email);
      const owner = await manager.findOneByOrFail(RoleEntity, { organisationId: organisation.id, builtInKey: 'owner' });
      const joined = await this.memberships.join(manager, ctx, {
        organisationId: organisation.id,
        userId: user.id,
        builtInRole: 'owner',
        status: MembershipStatus.ACTIVE,
        via: 'owner-appointed',
      });
      const membership = joined.membership;
      const previousStatus = joined.created ? null : membership.status;
      let outcome = AppointmentOutcome.JOINED;
      if (!joined.created) {
        const granted: unknown[] = await manager.query(
          'INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING role_id',
          [membership.id, owner.id, organisation.id],
        );
        const activated = membership.status !== MembershipStatus.ACTIVE;
        if (activated) await manager.update(MembershipEntity, { id: membership.id }, { status: MembershipStatus.ACTIVE, deactivatedAt: null });
        outcome = granted.length > 0 || activated ? AppointmentOutcome.PROMOTED : AppointmentOutcome.UNCHANGED;
      }
      await this.audit.record(manager, ctx, {
        organisationId: organisation.id,
        action: 'organisation.owner-appointed',
        targetType: 'Membership',
        targetId: membership.id,
        // Ids only: audit rows cannot be erased, the users row can (README "Audit log and erasure").
        details: { platformAction: true, userId: user.id, outcome, previousStatus },
      });
      if (outcome !== AppointmentOutcome.UNCHANGED) {
        emitEvent(manager, ctx, {
          organisationId: organisation.id,
          type: 'organisation.owner_appointed',
          objectId: organisation.id,
          data: { membershipId: membership.id, userId: user.id, outcome, previousStatus },
        });
      }
      return { organisationId: organisation.id, userId: user.id, membershipId: membership.id, outcome };
    });
    ctx.invalidateAccess();
    ctx.loaders.membershipById.clear(appointment.membershipId);
    return appointment;
  }
}
