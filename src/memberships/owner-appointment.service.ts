import { isEmail } from 'class-validator';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { badInput, forbidden, notFound } from '../core/errors';
import type { OrganisationService } from '../organisations/organisation.service';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { RoleEntity } from '../roles/role.entity';
import { lockOrganisation } from './last-owner-guard';
import { MembershipStatus } from './membership-status';
import type { MembershipWriter } from './membership-writer';
import { MembershipEntity } from './membership.entity';

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
 * (`organisation.owner-appointed`, `platformAction: true`).
 */
export class OwnerAppointmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly organisations: OrganisationService,
    private readonly memberships: MembershipWriter,
  ) {}

  async appoint(ctx: RequestContext, organisationSlug: string, rawEmail: string): Promise<Appointment> {
    if (!ctx.requirePrincipal().isPlatformAdmin) throw forbidden('Only platform administrators appoint owners');
    const email = rawEmail.trim().toLowerCase();
    if (!isEmail(email)) throw badInput(`"${rawEmail}" is not an email address`, { field: 'email' });
    const appointment = await runTransaction(this.dataSource, async (manager) => {
      const organisation = await manager.findOneBy(OrganisationEntity, { slug: organisationSlug });
      if (!organisation) throw notFound('Organisation');
      await lockOrganisation(manager, organisation.id);
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
        details: { platformAction: true, email, userId: user.id, outcome, previousStatus },
      });
      return { organisationId: organisation.id, userId: user.id, membershipId: membership.id, outcome };
    });
    ctx.invalidateAccess();
    ctx.loaders.membershipById.clear(appointment.membershipId);
    return appointment;
  }
}
