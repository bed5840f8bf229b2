import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { uniqueViolation } from '../core/database/postgres-errors';
import { badInput, conflict, notFound } from '../core/errors';
import { isId } from '../core/ids';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { normaliseDomain } from './domain-name';
import { newVerificationToken, verificationRecordName, verificationRecordValue } from './domain-verification-record';
import { DomainStatus, DomainVerificationMethod, OrganisationDomainEntity } from './organisation-domain.entity';
import type { OrganisationDomainType } from './organisation-domain.type';
import { domainView } from './organisation-domain.view';
import { isPublicMailProvider } from './public-mail-providers';
import type { TxtRecordResolver } from './txt-record-resolver';
import { mutationPermissions } from '../core/authz/mutation-permissions';

/** Domain claims per organisation, pending or verified: a bound, so the table cannot be flooded. */
export const MAX_DOMAINS_PER_ORGANISATION = 100;
const VERIFIED_DOMAIN_INDEX = 'organisation_domains_verified_domain_key';
// TXT values quoted back in an error: enough to spot a typo, never a huge answer.
const SHOWN_VALUES = 5;
const SHOWN_VALUE_LENGTH = 120;

/**
 * Proven domains (issue 8): an organisation asks for a domain and gets a TXT record to publish;
 * `verify` looks it up now, or a platform administrator approves. Only verified domains may auto-join;
 * one organisation per verified domain (a unique index); public mail providers are refused.
 */
export class OrganisationDomainService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly txtRecords: TxtRecordResolver,
  ) {}

  /** org:update: a PENDING claim with its TXT record; asking again returns the same claim. */
  async request(ctx: RequestContext, organisationId: string, input: string): Promise<OrganisationDomainType> {
    await this.requireManager(ctx, organisationId, 'requestDomain');
    const domain = claimable(input);
    return runTransaction(this.dataSource, async (manager) => {
      // One claim at a time per organisation: the count bound and the duplicate check hold under concurrency.
      await lockOrganisation(manager, organisationId);
      const existing = await manager.findBy(OrganisationDomainEntity, { domain });
      const own = existing.find((row) => row.organisationId === organisationId);
      if (own) return domainView(own);
      if (existing.some((row) => row.status === DomainStatus.VERIFIED)) throw takenConflict(domain);
      const claims = await manager.countBy(OrganisationDomainEntity, { organisationId });
      if (claims >= MAX_DOMAINS_PER_ORGANISATION) {
        throw badInput(`An organisation may claim at most ${MAX_DOMAINS_PER_ORGANISATION} domains; remove one first`, { field: 'domain' });
      }
      const row = await manager.save(manager.create(OrganisationDomainEntity, { organisationId, domain, status: DomainStatus.PENDING, verificationToken: newVerificationToken() }));
      await this.record(manager, ctx, row, 'domain.requested');
      ctx.loaders.domainsByOrganisationId.clear(organisationId);
      return domainView(row);
    });
  }

  /**
   * org:update: looks the TXT record up now (outside any transaction); verified when it holds the claim's
   * value. No or another record: BAD_USER_INPUT saying what was expected and what was found.
   */
  async verify(ctx: RequestContext, organisationId: string, input: string): Promise<OrganisationDomainType> {
    await this.requireManager(ctx, organisationId, 'verifyDomain');
    const claim = await this.findClaim(this.dataSource.manager, organisationId, normalised(input));
    if (claim.status === DomainStatus.VERIFIED) return domainView(claim);
    await this.assertNotTaken(claim);
    const name = verificationRecordName(claim.domain);
    const expected = verificationRecordValue(claim.verificationToken);
    const found = await this.txtRecords.lookup(name);
    if (!found.some((value) => value.trim() === expected)) {
      const shown = found.slice(0, SHOWN_VALUES).map((value) => (value.length > SHOWN_VALUE_LENGTH ? `${value.slice(0, SHOWN_VALUE_LENGTH)}…` : value));
      const what = found.length === 0 ? 'no TXT record' : `only ${found.length} other TXT record(s): ${shown.map((value) => JSON.stringify(value)).join(', ')}`;
      throw badInput(`${claim.domain} is not verified: expected a TXT record at ${name} with the value "${expected}", found ${what}`, {
        field: 'domain',
        txtRecordName: name,
        expected,
        found: shown,
      });
    }
    return this.markVerified(ctx, claim, DomainVerificationMethod.DNS_TXT, 'domain.verified');
  }

  /** Platform administrators: verifies a domain the organisation asked for (its request must exist). */
  async approve(ctx: RequestContext, organisationId: string, input: string): Promise<OrganisationDomainType> {
    await mutationPermissions.approveDomain.authorize(ctx, { organisationId, domain: input });
    if (!isId(organisationId) || !(await ctx.loaders.organisationById.load(organisationId))) throw notFound('Organisation');
    const claim = await this.findClaim(this.dataSource.manager, organisationId, normalised(input));
    if (claim.status === DomainStatus.VERIFIED) return domainView(claim);
    await this.assertNotTaken(claim);
    return this.markVerified(ctx, claim, DomainVerificationMethod.PLATFORM_ADMIN, 'domain.approved');
  }

  /** org:update: forgets the claim, and takes the domain out of autoJoinDomains. */
  async remove(ctx: RequestContext, organisationId: string, input: string): Promise<boolean> {
    await this.requireManager(ctx, organisationId, 'removeDomain');
    const domain = normalised(input);
    return runTransaction(this.dataSource, async (manager) => {
      // The organisation first (the order updateOrganisation locks in): its autoJoinDomains change too.
      const organisation = await lockOrganisation(manager, organisationId);
      const claim = await this.findClaim(manager, organisationId, domain, true);
      await manager.delete(OrganisationDomainEntity, { id: claim.id });
      const removedFromAutoJoin = organisation.autoJoinDomains.includes(claim.domain);
      if (removedFromAutoJoin) {
        await manager.update(OrganisationEntity, { id: organisationId }, { autoJoinDomains: organisation.autoJoinDomains.filter((domain) => domain !== claim.domain) });
      }
      await this.record(manager, ctx, claim, 'domain.removed', { status: claim.status, removedFromAutoJoin });
      ctx.loaders.domainsByOrganisationId.clear(organisationId);
      ctx.loaders.organisationById.clear(organisationId);
      return true;
    });
  }

  /**
   * For updateOrganisation, inside its transaction (the organisation row locked): every domain must be
   * one this organisation verified, or BAD_USER_INPUT naming the others.
   */
  async assertVerified(manager: EntityManager, organisationId: string, domains: readonly string[]): Promise<void> {
    if (domains.length === 0) return;
    const verified = await manager.find(OrganisationDomainEntity, { select: { domain: true }, where: { organisationId, status: DomainStatus.VERIFIED } });
    const known = new Set(verified.map((row) => row.domain));
    const unverified = domains.filter((domain) => !known.has(domain));
    if (unverified.length > 0) {
      throw badInput(`autoJoinDomains may hold only this organisation's verified domains (requestDomain, then verifyDomain); not verified: ${unverified.join(', ')}`, {
        field: 'autoJoinDomains',
        unverified,
      });
    }
  }

  private async requireManager(ctx: RequestContext, organisationId: string, mutation: 'requestDomain' | 'verifyDomain' | 'removeDomain'): Promise<void> {
    await mutationPermissions[mutation].authorize(ctx, { organisationId });
  }

  /** The organisation's claim of a (normalised) domain, or NOT_FOUND. */
  private async findClaim(manager: EntityManager, organisationId: string, domain: string, lock = false): Promise<OrganisationDomainEntity> {
    const claim = await manager.findOne(OrganisationDomainEntity, { where: { organisationId, domain }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!claim) throw notFound(`Domain ${domain} (call requestDomain first)`);
    return claim;
  }

  /** Checked before a DNS lookup (a clear answer, no wasted lookup); the unique index decides races. */
  private async assertNotTaken(claim: OrganisationDomainEntity): Promise<void> {
    if (isPublicMailProvider(claim.domain)) throw publicProvider(claim.domain);
    const holder = await this.dataSource.getRepository(OrganisationDomainEntity).findOneBy({ domain: claim.domain, status: DomainStatus.VERIFIED });
    if (holder && holder.organisationId !== claim.organisationId) throw takenConflict(claim.domain);
  }

  private async markVerified(
    ctx: RequestContext,
    claim: OrganisationDomainEntity,
    method: DomainVerificationMethod,
    action: string,
  ): Promise<OrganisationDomainType> {
    try {
      return await runTransaction(this.dataSource, async (manager) => {
        const current = await manager.findOne(OrganisationDomainEntity, { where: { id: claim.id }, lock: { mode: 'pessimistic_write' } });
        // Removed while DNS was asked: nothing to verify any more.
        if (!current) throw notFound(`Domain ${claim.domain} (call requestDomain first)`);
        if (current.status === DomainStatus.VERIFIED) return domainView(current);
        Object.assign(current, { status: DomainStatus.VERIFIED, verificationMethod: method, verifiedAt: new Date() });
        const saved = await manager.save(current);
        await this.record(manager, ctx, saved, action, { method });
        ctx.loaders.domainsByOrganisationId.clear(claim.organisationId);
        return domainView(saved);
      });
    } catch (error) {
      if (uniqueViolation(error) === VERIFIED_DOMAIN_INDEX) throw takenConflict(claim.domain);
      throw error;
    }
  }

  private record(manager: EntityManager, ctx: RequestContext, claim: OrganisationDomainEntity, action: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.audit.record(manager, ctx, {
      organisationId: claim.organisationId,
      action,
      targetType: 'OrganisationDomain',
      targetId: claim.id,
      details: { domain: claim.domain, ...details },
    });
  }
}

async function lockOrganisation(manager: EntityManager, organisationId: string): Promise<OrganisationEntity> {
  const organisation = await manager.findOne(OrganisationEntity, { where: { id: organisationId }, lock: { mode: 'pessimistic_write' } });
  if (!organisation) throw notFound('Organisation');
  return organisation;
}

function normalised(input: string): string {
  const result = normaliseDomain(input);
  if (!result.ok) throw badInput(`domain ${JSON.stringify(input.slice(0, 300))} ${result.reason}`, { field: 'domain' });
  return result.domain;
}

/** A domain an organisation may ask for: well formed, and not a public mail provider. */
function claimable(input: string): string {
  const domain = normalised(input);
  if (isPublicMailProvider(domain)) throw publicProvider(domain);
  return domain;
}

const publicProvider = (domain: string) =>
  badInput(`${domain} is a public mail provider: anyone can have an address there, so no organisation may claim it`, { field: 'domain' });

// Says that some organisation holds it, never which: another organisation's data stays invisible.
const takenConflict = (domain: string) => conflict(`${domain} is already verified by another organisation`);
