import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { VerifiedIdentity } from '../core/auth/verified-identity';
import { entityFromRow } from '../core/database/entity-rows';
import { uniqueViolation } from '../core/database/postgres-errors';
import { logger } from '../core/logger';
import { domainOfEmail } from '../domains/domain-name';
import { DomainStatus, OrganisationDomainEntity } from '../domains/organisation-domain.entity';
import type { MembershipWriter } from '../memberships/membership-writer';
import { MembershipStatus } from '../memberships/membership-status';
import { OrganisationStatus } from '../organisations/organisation-status';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { UserEntity } from './user.entity';
import { onPrimary, replicaTolerated } from '../core/database/read-preference';
import { readRouterOf } from '../core/database/routed-data-source';
import { runTransaction } from '../core/database/transaction';
import { emitEvent } from '../events/event-emitter';
import { recordFirstSignIn, recordSignIn } from '../audit/sign-in-events';

// The profile fields whose change is a user.updated event (lastSignInAt is not).
const PROFILE_FIELDS = ['displayName', 'email', 'emailVerified'] as const;

const hasChanges = (changes: object) => Object.keys(changes).length > 0;

export interface ProvisioningOptions {
  lastSignInIntervalSeconds: number;
  defaultOrganisationSlug?: string;
  /** `amr` values that show a second factor (AUTH_MFA_AMR_VALUES): the first such token records `mfaEnrolledAt`. */
  mfaAmrValues?: readonly string[];
}

/**
 * Sign-in provisioning (DESIGN.md §4): finds or creates the User by (issuer, subject), links a placeholder
 * by *verified* email, refreshes name and email, joins the default and auto-join organisations, and
 * records `lastSignInAt` at most once per interval, with a `member.signed_in` audit event in each organisation
 * where the user is an active member (same interval, same statement).
 */
export class UserProvisioningService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly memberships: MembershipWriter,
    private readonly options: ProvisioningOptions,
  ) {}

  async provision(identity: VerifiedIdentity): Promise<UserEntity> {
    if (readRouterOf(this.dataSource)) {
      // With read replicas, a returning user with nothing to write is read from the request's replica:
      // signing in costs the primary nothing. Anything to write is decided again on the primary.
      const seen = await replicaTolerated(() => this.findUser(identity));
      if (seen && !hasChanges(await replicaTolerated(() => this.changesFor(seen, identity)))) return seen;
    }
    return onPrimary(() => this.provisionHere(identity));
  }

  private async findUser(identity: VerifiedIdentity): Promise<UserEntity | null> {
    // Every request signs in: plain SQL by the unique index, not the ORM's query builder.
    const [row] = await this.dataSource.query('SELECT * FROM users WHERE issuer = $1 AND subject = $2', [identity.issuer, identity.subject]);
    return row ? entityFromRow(this.dataSource, UserEntity, row) : null;
  }

  private async provisionHere(identity: VerifiedIdentity): Promise<UserEntity> {
    const existing = await this.findUser(identity);
    if (existing) return this.refresh(existing, identity);
    try {
      return await runTransaction(this.dataSource, (manager) => this.createOrLink(manager, identity));
    } catch (error) {
      // Two first requests of one person raced; the other one created the user.
      if (uniqueViolation(error) === 'users_issuer_subject_key') {
        return this.dataSource.getRepository(UserEntity).findOneByOrFail({ issuer: identity.issuer, subject: identity.subject });
      }
      throw error;
    }
  }

  /** What the token changes in the stored user (profile fields, and `lastSignInAt` once per interval). */
  private async changesFor(user: UserEntity, identity: VerifiedIdentity): Promise<Partial<UserEntity>> {
    const changes: Partial<UserEntity> = {};
    if (identity.name && identity.name !== user.displayName) changes.displayName = identity.name;
    if (identity.email && identity.email !== user.email && (await this.emailFree(identity.email, user.id))) {
      changes.email = identity.email;
      changes.emailVerified = identity.emailVerified;
    } else if (identity.email === user.email && identity.emailVerified !== user.emailVerified) {
      changes.emailVerified = identity.emailVerified;
    }
    const staleAfter = Date.now() - this.options.lastSignInIntervalSeconds * 1000;
    const signInStale = !user.lastSignInAt || user.lastSignInAt.getTime() < staleAfter;
    if (signInStale) changes.lastSignInAt = new Date();
    if (!user.mfaEnrolledAt && this.showsMfa(identity)) changes.mfaEnrolledAt = new Date();
    return changes;
  }

  private showsMfa(identity: VerifiedIdentity): boolean {
    const values = this.options.mfaAmrValues ?? [];
    return identity.amr.some((method) => values.includes(method));
  }

  private async refresh(user: UserEntity, identity: VerifiedIdentity): Promise<UserEntity> {
    const changes = await this.changesFor(user, identity);
    if (!hasChanges(changes)) return user;
    const changedProfile = PROFILE_FIELDS.filter((key) => key in changes);
    const { lastSignInAt, mfaEnrolledAt, ...profile } = changes;
    // A sign-in (once per interval) is also an event in each organisation of the user: one statement with the update.
    const signIn = (manager: EntityManager) =>
      lastSignInAt ? recordSignIn(manager, user.id, lastSignInAt, new Date(Date.now() - this.options.lastSignInIntervalSeconds * 1000)) : Promise.resolve();
    // The first token showing a second factor records the enrolment (once: a later one never moves it).
    const enrol = (manager: EntityManager) =>
      mfaEnrolledAt ? manager.query('UPDATE users SET mfa_enrolled_at = $2 WHERE id = $1 AND mfa_enrolled_at IS NULL', [user.id, mfaEnrolledAt]) : Promise.resolve();
    try {
      if (changedProfile.length === 0) {
        await enrol(this.dataSource.manager);
        await signIn(this.dataSource.manager);
      } else {
        await runTransaction(this.dataSource, async (manager) => {
          await manager.update(UserEntity, { id: user.id }, profile);
          await enrol(manager);
          await signIn(manager);
          const data = { userId: user.id, before: Object.fromEntries(changedProfile.map((key) => [key, user[key]])), after: Object.fromEntries(changedProfile.map((key) => [key, changes[key]])) };
          emitEvent(manager, null, { organisationId: null, type: 'user.updated', objectId: user.id, data, actorUserId: user.id });
        });
      }
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
      logger.warn({ userId: user.id }, 'email from token already belongs to another user; kept the old one');
      return user;
    }
    return Object.assign(user, changes);
  }

  private async emailFree(email: string, exceptUserId: string): Promise<boolean> {
    const holder = await this.dataSource.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.email) = :email', { email }).getOne();
    return !holder || holder.id === exceptUserId;
  }

  private async createOrLink(manager: EntityManager, identity: VerifiedIdentity): Promise<UserEntity> {
    // The same lock as placeholder creation (invitations, imports, new organisations' owners): a first
    // sign-in and a placeholder for the same email never both insert it.
    if (identity.email) await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`user-email:${identity.email}`]);
    let holder = identity.email
      ? await manager.createQueryBuilder(UserEntity, 'u').setLock('pessimistic_write').where('lower(u.email) = :email', { email: identity.email }).getOne()
      : null;
    const now = new Date();
    let user: UserEntity;
    if (holder && holder.issuer === null && identity.emailVerified) {
      // A placeholder (from an invitation or an import) becomes this person, by verified email only.
      Object.assign(holder, { issuer: identity.issuer, subject: identity.subject, emailVerified: true, lastSignInAt: now });
      if (!holder.mfaEnrolledAt && this.showsMfa(identity)) holder.mfaEnrolledAt = now;
      if (identity.name) holder.displayName = identity.name;
      user = await manager.save(holder);
      await this.audit.record(manager, null, { organisationId: null, action: 'user.linked', targetType: 'User', targetId: user.id, actorUserId: user.id });
      // The placeholder may already be a member (imports): each of those organisations sees the sign-in.
      await recordFirstSignIn(manager, user.id);
      emitEvent(manager, null, { organisationId: null, type: 'user.signed_in', objectId: user.id, data: { userId: user.id, firstSignIn: true, linkedPlaceholder: true }, actorUserId: user.id });
    } else {
      const released = holder && holder.issuer !== null && !holder.emailVerified && identity.emailVerified ? holder : null;
      if (released) {
        // An unverified claim yields to a verified one: whoever proved the address gets it.
        await manager.update(UserEntity, { id: released.id }, { email: null });
        holder = null;
      }
      if (holder) logger.warn({ issuer: identity.issuer }, 'email from token already belongs to another user; user created without it');
      user = await manager.save(
        manager.create(UserEntity, {
          issuer: identity.issuer,
          subject: identity.subject,
          email: holder ? null : identity.email,
          emailVerified: holder ? false : identity.emailVerified,
          displayName: identity.name ?? identity.email ?? '',
          lastSignInAt: now,
          mfaEnrolledAt: this.showsMfa(identity) ? now : null,
        }),
      );
      await this.audit.record(manager, null, { organisationId: null, action: 'user.created', targetType: 'User', targetId: user.id, actorUserId: user.id });
      emitEvent(manager, null, { organisationId: null, type: 'user.signed_in', objectId: user.id, data: { userId: user.id, firstSignIn: true, linkedPlaceholder: false }, actorUserId: user.id });
      if (released) {
        await this.audit.record(manager, null, {
          organisationId: null,
          action: 'user.email-reassigned',
          targetType: 'User',
          targetId: released.id,
          details: { reason: 'unverified email claimed by a verified sign-in', toUserId: user.id },
          actorUserId: user.id,
        });
        emitEvent(manager, null, {
          organisationId: null,
          type: 'user.updated',
          objectId: released.id,
          data: { userId: released.id, before: { email: released.email }, after: { email: null }, reason: 'unverified email claimed by a verified sign-in' },
          actorUserId: user.id,
        });
      }
    }
    await this.joinAutomatically(manager, user, identity);
    return user;
  }

  /** The default organisation, and the organisation whose verified auto-join domains hold the verified email's domain. */
  private async joinAutomatically(manager: EntityManager, user: UserEntity, identity: VerifiedIdentity): Promise<void> {
    const organisations: OrganisationEntity[] = [];
    if (this.options.defaultOrganisationSlug) {
      const fallback = await manager.findOneBy(OrganisationEntity, { slug: this.options.defaultOrganisationSlug });
      if (fallback) organisations.push(fallback);
      else logger.warn({ slug: this.options.defaultOrganisationSlug }, 'DEFAULT_ORGANISATION names no organisation');
    }
    // The token's email, verified: proof of an address at the domain (even if another user holds the address here).
    // Only a domain the organisation proved joins, whatever autoJoinDomains holds; verified domains are
    // unique, so at most one organisation matches.
    const domain = identity.email && identity.emailVerified ? domainOfEmail(identity.email) : null;
    if (domain) {
      const matching = await manager
        .createQueryBuilder(OrganisationEntity, 'o')
        .innerJoin(OrganisationDomainEntity, 'd', 'd.organisation_id = o.id AND d.domain = :domain AND d.status = :verified', { domain, verified: DomainStatus.VERIFIED })
        .where(':domain = ANY(o.auto_join_domains)')
        .getMany();
      organisations.push(...matching.filter((candidate) => !organisations.some((known) => known.id === candidate.id)));
    }
    // Only an ACTIVE organisation takes new members (a suspended or deleted one admits nobody).
    for (const organisation of organisations.filter((candidate) => candidate.status === OrganisationStatus.ACTIVE)) {
      await this.memberships.join(manager, null, {
        organisationId: organisation.id,
        userId: user.id,
        builtInRole: 'member',
        status: organisation.requireApproval ? MembershipStatus.PENDING_APPROVAL : MembershipStatus.ACTIVE,
        via: organisation.slug === this.options.defaultOrganisationSlug ? 'default-organisation' : 'auto-join-domain',
      });
    }
  }
}
