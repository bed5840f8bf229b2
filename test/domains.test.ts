import dgram from 'node:dgram';
import { migrations } from '../src/core/database/migrations';
import { OrganisationDomains1764200000000 } from '../migrations/1764200000000-OrganisationDomains';
import { normaliseDomain } from '../src/domains/domain-name';
import { MAX_DOMAINS_PER_ORGANISATION } from '../src/domains/organisation-domain.service';
import { isPublicMailProvider } from '../src/domains/public-mail-providers';
import { ConfigError, loadConfig } from '../src/core/config';
import { MembershipStatus } from '../src/memberships/membership-status';
import { startSilentDnsServer, TestDnsServer } from './support/dns-server';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { createSuiteDatabase } from './support/test-database';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const DOMAIN_FIELDS = 'domain status txtRecordName txtRecordValue verificationMethod verifiedAt createdAt';
const REQUEST = `mutation($organisationId: ID!, $domain: String!) { requestDomain(organisationId: $organisationId, domain: $domain) { ${DOMAIN_FIELDS} } }`;
const VERIFY = `mutation($organisationId: ID!, $domain: String!) { verifyDomain(organisationId: $organisationId, domain: $domain) { ${DOMAIN_FIELDS} } }`;
const APPROVE = `mutation($organisationId: ID!, $domain: String!) { approveDomain(organisationId: $organisationId, domain: $domain) { ${DOMAIN_FIELDS} } }`;
const REMOVE = 'mutation($organisationId: ID!, $domain: String!) { removeDomain(organisationId: $organisationId, domain: $domain) }';
const DOMAINS = `query($id: ID!) { organisation(id: $id) { id domains { ${DOMAIN_FIELDS} } settings { autoJoinDomains } } }`;
const UPDATE = 'mutation($id: ID!, $input: UpdateOrganisationInput!) { updateOrganisation(id: $id, input: $input) { id settings { autoJoinDomains } } }';
const MEMBERSHIPS = '{ viewer { memberships { status organisation { id } roles { name } } } }';

let sequence = 0;
/** A domain nobody else in the run uses (the .example TLD is reserved for examples: RFC 2606). */
const uniqueDomain = (label = 'acme') => `${label}-${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}.example`;

describe('domain names', () => {
  it.each([
    ['acme.example', 'acme.example'],
    ['  Acme.EXAMPLE  ', 'acme.example'],
    ['acme.example.', 'acme.example'],
    ['Bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['ａｃｍｅ.example', 'acme.example'],
    ['mail.eu.acme-corp.co.uk', 'mail.eu.acme-corp.co.uk'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseDomain(input)).toEqual({ ok: true, domain: expected });
  });

  it.each([
    '', '   ', 'localhost', 'acme', '.acme.example', '-acme.example', 'acme-.example', 'a..example', 'acme.example..', '*.acme.example',
    'acme.example:443', 'http://acme.example', 'acme.example/path', 'user@acme.example', '1.2.3.4', '[::1]', 'ex%41mple.example',
    `${'a'.repeat(64)}.example`, `${'abcdefghi.'.repeat(25)}example`, 'xn--zz.example', 'acme_x.example', 'acme.123', 'ac\u0000me.example',
    'acme example', 'acme.example,other.example', 'x'.repeat(2000),
  ])('refuses %j', (input) => {
    expect(normaliseDomain(input).ok).toBe(false);
  });

  it('knows public mail providers (the package list and the additions), exactly', () => {
    for (const domain of ['gmail.com', 'outlook.com', 'yahoo.com', 'proton.me', 'web.de', 'fastmail.com', 'tuta.io']) expect([domain, isPublicMailProvider(domain)]).toEqual([domain, true]);
    for (const domain of ['acme.example', 'mail.gmail.example', 'google.com']) expect([domain, isPublicMailProvider(domain)]).toEqual([domain, false]);
  });
});

describe('DNS_SERVERS', () => {
  it('takes comma-separated IP addresses with optional ports', () => {
    expect(loadConfig({ DNS_SERVERS: '127.0.0.1:5353, [::1]:53,10.0.0.2' }).DNS_SERVERS).toEqual(['127.0.0.1:5353', '[::1]:53', '10.0.0.2']);
    expect(loadConfig({}).DNS_SERVERS).toBeUndefined();
  });

  it.each(['dns.example:53', '127.0.0.1:0', '127.0.0.1:70000', '300.1.1.1', ' , ', '127.0.0.1:53:53'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ DNS_SERVERS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DNS_SERVERS: value })).toThrow(/DNS_SERVERS/);
  });

  it('refuses a zero timeout or retry count', () => {
    expect(() => loadConfig({ DNS_TIMEOUT_MS: '0' })).toThrow(/DNS_TIMEOUT_MS/);
    expect(() => loadConfig({ DNS_TRIES: '0' })).toThrow(/DNS_TRIES/);
  });
});

describe('verified domains', () => {
  let dns: TestDnsServer;
  let service: TestService;
  let admin: SignedInUser;
  let org: TestOrganisation;
  let other: TestOrganisation;
  let orgAdmin: SignedInUser;
  let viewer: SignedInUser;
  let otherAdmin: SignedInUser;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    service = await startTestService({ DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: '500', DNS_TRIES: '1' });
    admin = await platformAdmin(service);
    org = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    orgAdmin = await memberWith(service, org.id, ['admin']);
    viewer = await memberWith(service, org.id, ['viewer']);
    otherAdmin = await memberWith(service, other.id, ['admin']);
  });
  afterAll(async () => {
    await service.stop();
    await dns.stop();
  });

  const db = () => service.database.dataSource;
  const expectNothingWritten = <T>(work: () => Promise<T>): Promise<T> => expectNothingWrittenIn(db(), work);
  const call = (query: string, organisationId: string, domain: string, token: string) => service.graphql(query, { organisationId, domain }, token);
  const auditOf = (action: string, organisationId: string): Promise<{ actor_user_id: string; target_type: string; details: Record<string, unknown> }[]> =>
    db().query('SELECT actor_user_id, target_type, details FROM audit_events WHERE action = $1 AND organisation_id = $2 ORDER BY occurred_at', [action, organisationId]);
  const rowsOf = (domain: string): Promise<{ organisation_id: string; status: string }[]> =>
    db().query('SELECT organisation_id, status FROM organisation_domains WHERE domain = $1 ORDER BY created_at', [domain]);

  /** Requests a domain for the organisation and publishes its TXT record on the test DNS server. */
  async function requested(organisation: TestOrganisation, domain = uniqueDomain(), token = organisation.owner.token, publish = true) {
    const response = await call(REQUEST, organisation.id, domain, token);
    expect(response.errors).toBeUndefined();
    const claim = response.data.requestDomain;
    if (publish) dns.setTxt(claim.txtRecordName, claim.txtRecordValue);
    return claim as { domain: string; txtRecordName: string; txtRecordValue: string };
  }

  async function verified(organisation: TestOrganisation, domain = uniqueDomain()) {
    const claim = await requested(organisation, domain);
    const response = await call(VERIFY, organisation.id, claim.domain, organisation.owner.token);
    expect(response.errors).toBeUndefined();
    return claim;
  }

  describe('requestDomain', () => {
    it('gives a PENDING claim with its TXT record, audited; asking again gives the same claim and writes nothing', async () => {
      const domain = uniqueDomain();
      const response = await call(REQUEST, org.id, domain, orgAdmin.token);
      expect(response.errors).toBeUndefined();
      const claim = response.data.requestDomain;
      expect(claim).toMatchObject({ domain, status: 'PENDING', txtRecordName: `_access-verification.${domain}`, verificationMethod: null, verifiedAt: null });
      expect(claim.txtRecordValue).toMatch(/^access-verification=[A-Za-z0-9_-]{43}$/);
      const audit = await auditOf('domain.requested', org.id);
      expect(audit.filter((event) => event.details.domain === domain)).toEqual([{ actor_user_id: orgAdmin.userId, target_type: 'OrganisationDomain', details: { domain } }]);

      const again = await expectNothingWritten(() => call(REQUEST, org.id, ` ${domain.toUpperCase()}. `, orgAdmin.token));
      expect(again.data.requestDomain).toEqual(claim);
      const listed = await service.graphql(DOMAINS, { id: org.id }, viewer.token);
      expect(listed.errors).toBeUndefined();
      expect(listed.data.organisation.domains).toContainEqual(claim);
    });

    it('stores an internationalised name in its ASCII form, whichever form is asked for', async () => {
      const label = `bücher-${process.pid}-${(sequence += 1)}`;
      const unicode = await call(REQUEST, org.id, `${label}.example`, orgAdmin.token);
      expect(unicode.errors).toBeUndefined();
      expect(unicode.data.requestDomain.domain).toMatch(/^xn--bcher-[a-z0-9-]+\.example$/);
      const ascii = await expectNothingWritten(() => call(REQUEST, org.id, unicode.data.requestDomain.domain, orgAdmin.token));
      expect(ascii.data.requestDomain).toEqual(unicode.data.requestDomain);
    });

    it.each([
      ['an empty domain', ''],
      ['a single label', 'localhost'],
      ['a leading hyphen', '-acme.example'],
      ['an empty label', 'acme..example'],
      ['two trailing dots', 'acme.example..'],
      ['a wildcard', '*.acme.example'],
      ['a port', 'acme.example:443'],
      ['a URL', 'https://acme.example/'],
      ['an email address', 'ada@acme.example'],
      ['an IP address', '192.0.2.1'],
      ['a percent-encoded name', 'ex%41mple.example'],
      ['invalid punycode', 'xn--zz.example'],
      ['an underscore', 'acme_x.example'],
      ['a NUL character', 'ac\u0000me.example'],
      ['a label over 63 characters', `${'a'.repeat(64)}.example`],
      ['100,000 characters', 'a'.repeat(100_000)],
      ['a public mail provider', 'gmail.com'],
      ['a public mail provider in capitals with the root dot', 'GMAIL.COM.'],
      ['a public mail provider the package lacks', 'fastmail.com'],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_label, domain) => {
      const response = await expectNothingWritten(() => call(REQUEST, org.id, domain, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      // Refused before execution (a NUL, by the input guard: no data at all) or by the mutation (data null).
      expect(response.data ?? null).toBeNull();
    });

    it('says why a public provider is refused', async () => {
      const response = await call(REQUEST, org.id, 'outlook.com', orgAdmin.token);
      expect(response.errors?.[0].message).toMatch(/outlook\.com is a public mail provider/);
    });

    it('refuses a domain another organisation verified with CONFLICT, naming no organisation, and writes nothing', async () => {
      const claim = await verified(other);
      const response = await expectNothingWritten(() => call(REQUEST, org.id, claim.domain, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors?.[0].message).toBe(`${claim.domain} is already verified by another organisation`);
    });

    it(`refuses a claim past ${MAX_DOMAINS_PER_ORGANISATION} per organisation`, async () => {
      const crowded = await createOrganisation(service, admin);
      await db().query(
        `INSERT INTO organisation_domains (organisation_id, domain, verification_token)
         SELECT $1, 'd' || n || '-' || $2 || '.example', repeat('t', 43) FROM generate_series(1, $3::int) n`,
        [crowded.id, process.pid, MAX_DOMAINS_PER_ORGANISATION],
      );
      const response = await expectNothingWritten(() => call(REQUEST, crowded.id, uniqueDomain(), crowded.owner.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a Viewer with FORBIDDEN, no token with UNAUTHENTICATED, and writes nothing', async () => {
      expect(errorCodes(await expectNothingWritten(() => call(REQUEST, org.id, uniqueDomain(), viewer.token)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await expectNothingWritten(() => service.graphql(REQUEST, { organisationId: org.id, domain: uniqueDomain() })))).toEqual(['UNAUTHENTICATED']);
    });

    it('answers NOT_FOUND to an Admin of another organisation, a platform administrator who is no member, and unknown or garbage ids', async () => {
      for (const [organisationId, token] of [
        [org.id, otherAdmin.token],
        [org.id, admin.token],
        ['00000000-0000-4000-8000-000000000000', orgAdmin.token],
        ['garbage', orgAdmin.token],
      ]) {
        const response = await expectNothingWritten(() => call(REQUEST, organisationId, uniqueDomain(), token));
        expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      }
    });

    it('answers MFA_REQUIRED where the organisation requires MFA and the token has no second factor', async () => {
      const strict = await createOrganisation(service, admin);
      await db().query('UPDATE organisations SET require_mfa = true WHERE id = $1', [strict.id]);
      expect(errorCodes(await expectNothingWritten(() => call(REQUEST, strict.id, uniqueDomain(), strict.owner.token)))).toEqual(['MFA_REQUIRED']);
      const withMfa = await service.token({ subject: strict.owner.subject, email: strict.owner.email, amr: ['pwd', 'otp'] });
      expect((await call(REQUEST, strict.id, uniqueDomain(), withMfa)).errors).toBeUndefined();
    });
  });

  describe('verifyDomain', () => {
    it('verifies a domain whose TXT record holds the value (among other records, split in chunks), audited', async () => {
      const claim = await requested(org, uniqueDomain(), org.owner.token, false);
      const value = claim.txtRecordValue;
      dns.setTxt(claim.txtRecordName, 'v=spf1 -all', [value.slice(0, 20), value.slice(20)]);
      const before = dns.questions.length;
      const response = await call(VERIFY, org.id, claim.domain.toUpperCase(), orgAdmin.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.verifyDomain).toMatchObject({ domain: claim.domain, status: 'VERIFIED', verificationMethod: 'DNS_TXT' });
      expect(Math.abs(Date.parse(response.data.verifyDomain.verifiedAt) - Date.now())).toBeLessThan(60_000);
      expect(dns.questions.slice(before)).toContain(claim.txtRecordName);
      const audit = (await auditOf('domain.verified', org.id)).filter((event) => event.details.domain === claim.domain);
      expect(audit).toEqual([{ actor_user_id: orgAdmin.userId, target_type: 'OrganisationDomain', details: { domain: claim.domain, method: 'DNS_TXT' } }]);

      // Again: still verified, nothing written, DNS not asked.
      const asked = dns.questions.length;
      const again = await expectNothingWritten(() => call(VERIFY, org.id, claim.domain, orgAdmin.token));
      expect(again.data.verifyDomain).toEqual(response.data.verifyDomain);
      expect(dns.questions.length).toBe(asked);
    });

    it('refuses with BAD_USER_INPUT saying what was expected and that nothing was found; stays PENDING', async () => {
      const claim = await requested(org, uniqueDomain(), org.owner.token, false);
      const response = await expectNothingWritten(() => call(VERIFY, org.id, claim.domain, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0].message).toBe(
        `${claim.domain} is not verified: expected a TXT record at ${claim.txtRecordName} with the value "${claim.txtRecordValue}", found no TXT record`,
      );
      expect(response.errors?.[0].extensions).toMatchObject({ txtRecordName: claim.txtRecordName, expected: claim.txtRecordValue, found: [] });
      expect(await rowsOf(claim.domain)).toEqual([{ organisation_id: org.id, status: 'PENDING' }]);
    });

    it('refuses a record with another value (e.g. another organisation’s token), quoting what was found', async () => {
      const theirs = await requested(other, uniqueDomain(), other.owner.token, false);
      const ours = await requested(org, theirs.domain, org.owner.token, false);
      dns.setTxt(theirs.txtRecordName, theirs.txtRecordValue);
      const response = await expectNothingWritten(() => call(VERIFY, org.id, ours.domain, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0].message).toContain(`expected a TXT record at ${ours.txtRecordName} with the value "${ours.txtRecordValue}", found only 1 other TXT record(s): "${theirs.txtRecordValue}"`);
    });

    it('answers NOT_FOUND for a domain never requested, or requested by another organisation', async () => {
      const theirs = await requested(other);
      for (const domain of [uniqueDomain(), theirs.domain]) {
        expect(errorCodes(await expectNothingWritten(() => call(VERIFY, org.id, domain, orgAdmin.token)))).toEqual(['NOT_FOUND']);
      }
    });

    it('refuses a malformed domain with BAD_USER_INPUT, a Viewer with FORBIDDEN and another organisation’s Admin with NOT_FOUND', async () => {
      const claim = await requested(org);
      expect(errorCodes(await expectNothingWritten(() => call(VERIFY, org.id, 'not a domain', orgAdmin.token)))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await expectNothingWritten(() => call(VERIFY, org.id, claim.domain, viewer.token)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await expectNothingWritten(() => call(VERIFY, org.id, claim.domain, otherAdmin.token)))).toEqual(['NOT_FOUND']);
      expect(await rowsOf(claim.domain)).toEqual([{ organisation_id: org.id, status: 'PENDING' }]);
    });

    it('gives CONFLICT when another organisation verified the domain first, even with a correct record', async () => {
      const domain = uniqueDomain();
      const ours = await requested(org, domain);
      await verified(other, domain);
      const response = await expectNothingWritten(() => call(VERIFY, org.id, ours.domain, orgAdmin.token));
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(await rowsOf(domain)).toEqual([
        { organisation_id: org.id, status: 'PENDING' },
        { organisation_id: other.id, status: 'VERIFIED' },
      ]);
    });

    it('lets one of two organisations racing to verify one domain win, the other gets CONFLICT', async () => {
      for (let round = 0; round < 5; round += 1) {
        const domain = uniqueDomain('race');
        const ours = await requested(org, domain);
        const theirs = await requested(other, domain);
        // Both records at the one name, as DNS allows: each organisation finds its own value.
        dns.setTxt(ours.txtRecordName, ours.txtRecordValue, theirs.txtRecordValue);
        const responses = await Promise.all([call(VERIFY, org.id, domain, orgAdmin.token), call(VERIFY, other.id, domain, otherAdmin.token)]);
        expect(responses.map((response) => errorCodes(response)[0] ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
        expect((await rowsOf(domain)).filter((row) => row.status === 'VERIFIED')).toHaveLength(1);
      }
    });

    it('the database itself refuses a second organisation holding a domain VERIFIED', async () => {
      const claim = await verified(other);
      await expect(
        db().query(`INSERT INTO organisation_domains (organisation_id, domain, status, verification_token, verification_method, verified_at) VALUES ($1, $2, 'VERIFIED', repeat('t', 43), 'DNS_TXT', now())`, [
          org.id,
          claim.domain,
        ]),
      ).rejects.toMatchObject({ driverError: { code: '23505', constraint: 'organisation_domains_verified_domain_key' } });
    });

    it('refuses a public provider claimed before verification was required (a migrated request)', async () => {
      await db().query(`INSERT INTO organisation_domains (organisation_id, domain, verification_token) VALUES ($1, 'gmail.com', repeat('t', 43))`, [org.id]);
      try {
        dns.setTxt('_access-verification.gmail.com', `access-verification=${'t'.repeat(43)}`);
        expect(errorCodes(await expectNothingWritten(() => call(VERIFY, org.id, 'gmail.com', orgAdmin.token)))).toEqual(['BAD_USER_INPUT']);
        expect(errorCodes(await expectNothingWritten(() => call(APPROVE, org.id, 'gmail.com', admin.token)))).toEqual(['BAD_USER_INPUT']);
      } finally {
        await db().query(`DELETE FROM organisation_domains WHERE organisation_id = $1 AND domain = 'gmail.com'`, [org.id]);
      }
    });
  });

  describe('approveDomain', () => {
    it('lets a platform administrator (no member) verify a requested domain without DNS, audited with them as actor', async () => {
      const claim = await requested(org, uniqueDomain(), org.owner.token, false);
      const response = await call(APPROVE, org.id, claim.domain, admin.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.approveDomain).toMatchObject({ domain: claim.domain, status: 'VERIFIED', verificationMethod: 'PLATFORM_ADMIN', txtRecordValue: claim.txtRecordValue });
      const audit = (await auditOf('domain.approved', org.id)).filter((event) => event.details.domain === claim.domain);
      expect(audit).toEqual([{ actor_user_id: admin.userId, target_type: 'OrganisationDomain', details: { domain: claim.domain, method: 'PLATFORM_ADMIN' } }]);
      const again = await expectNothingWritten(() => call(APPROVE, org.id, claim.domain, admin.token));
      expect(again.data.approveDomain).toEqual(response.data.approveDomain);
      // Approving is not reading: the administrator still sees nothing else inside the organisation.
      expect(errorCodes(await service.graphql(DOMAINS, { id: org.id }, admin.token))).toContain('FORBIDDEN');
    });

    it('refuses an Owner (not a platform administrator) with FORBIDDEN and writes nothing', async () => {
      const claim = await requested(org, uniqueDomain(), org.owner.token, false);
      expect(errorCodes(await expectNothingWritten(() => call(APPROVE, org.id, claim.domain, org.owner.token)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await expectNothingWritten(() => service.graphql(APPROVE, { organisationId: org.id, domain: claim.domain })))).toEqual(['UNAUTHENTICATED']);
    });

    it('answers NOT_FOUND for a domain the organisation did not ask for, and for unknown organisations', async () => {
      const theirs = await requested(other);
      for (const [organisationId, domain] of [
        [org.id, uniqueDomain()],
        [org.id, theirs.domain],
        ['00000000-0000-4000-8000-000000000000', theirs.domain],
        ['garbage', theirs.domain],
      ]) {
        expect(errorCodes(await expectNothingWritten(() => call(APPROVE, organisationId, domain, admin.token)))).toEqual(['NOT_FOUND']);
      }
    });

    it('gives CONFLICT for a domain another organisation verified, and BAD_USER_INPUT for a malformed one', async () => {
      const domain = uniqueDomain();
      await requested(org, domain);
      await verified(other, domain);
      expect(errorCodes(await expectNothingWritten(() => call(APPROVE, org.id, domain, admin.token)))).toEqual(['CONFLICT']);
      expect(errorCodes(await expectNothingWritten(() => call(APPROVE, org.id, 'acme..example', admin.token)))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('autoJoinDomains and removeDomain', () => {
    it('updateOrganisation takes only verified domains of the organisation (normalised), refusing the rest with BAD_USER_INPUT', async () => {
      const ours = await verified(org);
      const pending = await requested(org, uniqueDomain(), org.owner.token, false);
      const theirs = await verified(other);
      for (const domains of [[pending.domain], [uniqueDomain()], [theirs.domain], [ours.domain, pending.domain], ['gmail.com'], ['not a domain']]) {
        const response = await expectNothingWritten(() => service.graphql(UPDATE, { id: org.id, input: { autoJoinDomains: domains } }, orgAdmin.token));
        expect([domains, errorCodes(response)]).toEqual([domains, ['BAD_USER_INPUT']]);
      }
      const unverified = await service.graphql(UPDATE, { id: org.id, input: { autoJoinDomains: [pending.domain] } }, orgAdmin.token);
      expect(unverified.errors?.[0]).toMatchObject({ extensions: { field: 'autoJoinDomains', unverified: [pending.domain] } });

      const accepted = await service.graphql(UPDATE, { id: org.id, input: { autoJoinDomains: [`${ours.domain.toUpperCase()}.`, ours.domain] } }, orgAdmin.token);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data.updateOrganisation.settings.autoJoinDomains).toEqual([ours.domain]);
      const cleared = await service.graphql(UPDATE, { id: org.id, input: { autoJoinDomains: [] } }, orgAdmin.token);
      expect(cleared.data.updateOrganisation.settings.autoJoinDomains).toEqual([]);
    });

    it('removeDomain forgets the claim and takes it out of autoJoinDomains, audited; again: NOT_FOUND', async () => {
      const kept = await verified(org);
      const removed = await verified(org);
      expect((await service.graphql(UPDATE, { id: org.id, input: { autoJoinDomains: [kept.domain, removed.domain] } }, orgAdmin.token)).errors).toBeUndefined();
      const response = await call(REMOVE, org.id, removed.domain, orgAdmin.token);
      expect(response).toEqual({ data: { removeDomain: true } });
      const listed = await service.graphql(DOMAINS, { id: org.id }, orgAdmin.token);
      expect(listed.data.organisation.settings.autoJoinDomains).toEqual([kept.domain]);
      expect(listed.data.organisation.domains.map((claim: { domain: string }) => claim.domain)).not.toContain(removed.domain);
      const audit = (await auditOf('domain.removed', org.id)).filter((event) => event.details.domain === removed.domain);
      expect(audit).toEqual([{ actor_user_id: orgAdmin.userId, target_type: 'OrganisationDomain', details: { domain: removed.domain, status: 'VERIFIED', removedFromAutoJoin: true } }]);
      expect(errorCodes(await expectNothingWritten(() => call(REMOVE, org.id, removed.domain, orgAdmin.token)))).toEqual(['NOT_FOUND']);
      // Another organisation may now claim and verify it.
      await verified(other, removed.domain);
    });

    it('removeDomain refuses a Viewer (FORBIDDEN), another organisation’s Admin (NOT_FOUND), a malformed domain (BAD_USER_INPUT)', async () => {
      const claim = await verified(org);
      expect(errorCodes(await expectNothingWritten(() => call(REMOVE, org.id, claim.domain, viewer.token)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await expectNothingWritten(() => call(REMOVE, org.id, claim.domain, otherAdmin.token)))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await expectNothingWritten(() => call(REMOVE, other.id, claim.domain, otherAdmin.token)))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await expectNothingWritten(() => call(REMOVE, org.id, '..', orgAdmin.token)))).toEqual(['BAD_USER_INPUT']);
      expect(await rowsOf(claim.domain)).toEqual([{ organisation_id: org.id, status: 'VERIFIED' }]);
    });
  });

  describe('sign-in auto-join', () => {
    async function autoJoining(options: { verify: boolean }): Promise<{ organisation: TestOrganisation; domain: string }> {
      const organisation = await createOrganisation(service, admin);
      const claim = options.verify ? await verified(organisation) : await requested(organisation);
      // Written directly: updateOrganisation would refuse a pending domain (tested above); sign-in must not trust the column alone.
      await db().query('UPDATE organisations SET auto_join_domains = ARRAY[$1] WHERE id = $2', [claim.domain, organisation.id]);
      return { organisation, domain: claim.domain };
    }
    const membershipsOf = async (token: string) => (await service.graphql(MEMBERSHIPS, {}, token)).data.viewer.memberships;

    it('joins a verified email of a verified auto-join domain, as Member', async () => {
      const { organisation, domain } = await autoJoining({ verify: true });
      const user = await signIn(service, { email: `ada@${domain}` });
      expect(await membershipsOf(user.token)).toEqual([{ status: 'ACTIVE', organisation: { id: organisation.id }, roles: [{ name: 'Member' }] }]);
    });

    it('does not join a verified email at a PENDING domain, even one listed in autoJoinDomains', async () => {
      const { organisation, domain } = await autoJoining({ verify: false });
      const user = await signIn(service, { email: `mallory@${domain}` });
      expect(await membershipsOf(user.token)).toEqual([]);
      expect(await db().query('SELECT 1 FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisation.id, user.userId])).toEqual([]);
    });

    it('does not join through a verified domain the organisation did not put in autoJoinDomains', async () => {
      const organisation = await createOrganisation(service, admin);
      const claim = await verified(organisation);
      const user = await signIn(service, { email: `grace@${claim.domain}` });
      expect(await membershipsOf(user.token)).toEqual([]);
    });

    it('does not join another organisation listing a domain it did not verify (someone else did)', async () => {
      const owner = await autoJoining({ verify: true });
      const squatter = await createOrganisation(service, admin);
      await db().query('UPDATE organisations SET auto_join_domains = ARRAY[$1] WHERE id = $2', [owner.domain, squatter.id]);
      const user = await signIn(service, { email: `eve@${owner.domain}` });
      expect(await membershipsOf(user.token)).toEqual([{ status: 'ACTIVE', organisation: { id: owner.organisation.id }, roles: [{ name: 'Member' }] }]);
    });

    it('matches an internationalised email domain against its verified ASCII form', async () => {
      const label = `bücher-${process.pid}-${(sequence += 1)}`;
      const organisation = await createOrganisation(service, admin);
      const claim = await verified(organisation, `${label}.example`);
      expect(claim.domain).toMatch(/^xn--/);
      await db().query('UPDATE organisations SET auto_join_domains = ARRAY[$1] WHERE id = $2', [claim.domain, organisation.id]);
      const user = await signIn(service, { email: `otto@${label}.example` });
      expect(await membershipsOf(user.token)).toEqual([{ status: 'ACTIVE', organisation: { id: organisation.id }, roles: [{ name: 'Member' }] }]);
    });
  });

  describe('reading domains across tenants', () => {
    let ours: { domain: string };
    let theirs: { domain: string };
    beforeAll(async () => {
      ours = await requested(org);
      theirs = await requested(other);
    });

    it('root: another organisation is null; our Viewer reads ours', async () => {
      expect(await service.graphql(DOMAINS, { id: other.id }, orgAdmin.token)).toEqual({ data: { organisation: null } });
      const own = await service.graphql(DOMAINS, { id: org.id }, viewer.token);
      expect(own.data.organisation.domains.map((claim: { domain: string }) => claim.domain)).toContain(ours.domain);
      expect(JSON.stringify(own)).not.toContain(theirs.domain);
    });

    it('nested: through the viewer’s memberships only their own organisations’ domains', async () => {
      const response = await service.graphql('{ viewer { memberships { organisation { id domains { domain } } } } }', {}, orgAdmin.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.viewer.memberships.map((membership: { organisation: { id: string } }) => membership.organisation.id)).toEqual([org.id]);
      expect(JSON.stringify(response)).not.toContain(theirs.domain);
    });

    it('federation _entities: another organisation is null, ours resolves with its domains', async () => {
      const response = await service.graphql(
        'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Organisation { id domains { domain status } } } }',
        { representations: [{ __typename: 'Organisation', id: other.id }, { __typename: 'Organisation', id: org.id }] },
        orgAdmin.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data._entities[0]).toBeNull();
      expect(response.data._entities[1].domains).toContainEqual({ domain: ours.domain, status: 'PENDING' });
      expect(JSON.stringify(response)).not.toContain(theirs.domain);
    });

    it('refuses domains (FORBIDDEN) to a deactivated member and to a platform administrator who is no member', async () => {
      const gone = await memberWith(service, org.id, ['admin'], { status: MembershipStatus.DEACTIVATED });
      for (const token of [gone.token, admin.token]) {
        const response = await service.graphql('query($id: ID!) { organisation(id: $id) { id domains { domain } } }', { id: org.id }, token);
        expect(errorCodes(response)).toEqual(['FORBIDDEN']);
        expect(JSON.stringify(response.data)).not.toContain(ours.domain);
      }
    });

    it('reads the domains of many organisations in a bounded number of statements', async () => {
      const member = await signIn(service);
      const query = '{ organisations(first: 50) { edges { node { id domains { domain status txtRecordName } } } } }';
      const counts: number[] = [];
      for (const size of [2, 6]) {
        while ((await db().query('SELECT count(*)::int AS n FROM memberships WHERE user_id = $1', [member.userId]))[0].n < size) {
          const organisation = await createOrganisation(service, admin);
          await db().query(`INSERT INTO memberships (organisation_id, user_id) VALUES ($1, $2)`, [organisation.id, member.userId]);
          await db().query(
            `INSERT INTO membership_roles (membership_id, role_id, organisation_id)
             SELECT m.id, r.id, $1 FROM memberships m JOIN roles r ON r.organisation_id = m.organisation_id AND r.built_in_key = 'viewer'
             WHERE m.organisation_id = $1 AND m.user_id = $2`,
            [organisation.id, member.userId],
          );
          await requested(organisation);
          await requested(organisation);
        }
        const { response, count } = await service.countStatements(query, {}, member.token);
        expect((response as GraphQLResponse).errors).toBeUndefined();
        expect((response as GraphQLResponse).data.organisations.edges.every((edge: { node: { domains: unknown[] } }) => edge.node.domains.length === 2)).toBe(true);
        counts.push(count);
      }
      expect(counts[1]).toBe(counts[0]);
    });
  });
});

describe('verifyDomain when DNS cannot be reached', () => {
  let silent: { server: string; stop(): Promise<void> };
  let service: TestService;
  let org: TestOrganisation;
  let claim: { domain: string };

  beforeAll(async () => {
    silent = await startSilentDnsServer();
    service = await startTestService({ DNS_SERVERS: silent.server, DNS_TIMEOUT_MS: '300', DNS_TRIES: '2' });
    org = await createOrganisation(service, await platformAdmin(service));
    const response = await service.graphql(REQUEST, { organisationId: org.id, domain: uniqueDomain() }, org.owner.token);
    claim = response.data.requestDomain;
  });
  afterAll(async () => {
    await service.stop();
    await silent.stop();
  });

  it('answers SERVICE_UNAVAILABLE within seconds when the server never answers, and writes nothing', async () => {
    const started = Date.now();
    const response = await expectNothingWrittenIn(service.database.dataSource, () => service.graphql(VERIFY, { organisationId: org.id, domain: claim.domain }, org.owner.token));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.errors?.[0]).toMatchObject({ extensions: { dnsError: 'ETIMEOUT' } });
    expect(response.errors?.[0].message).toMatch(/DNS lookup of _access-verification\..* failed/);
  });

  it('answers SERVICE_UNAVAILABLE at once when nothing listens on the DNS port', async () => {
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
    const port = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await startTestService({ DNS_SERVERS: `127.0.0.1:${port}`, DNS_TIMEOUT_MS: '300', DNS_TRIES: '1' });
    try {
      const organisation = await createOrganisation(refused, await platformAdmin(refused));
      const domain = uniqueDomain();
      expect((await refused.graphql(REQUEST, { organisationId: organisation.id, domain }, organisation.owner.token)).errors).toBeUndefined();
      const started = Date.now();
      const response = await refused.graphql(VERIFY, { organisationId: organisation.id, domain }, organisation.owner.token);
      expect(errorCodes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await refused.stop();
    }
  });
});

describe('migration OrganisationDomains', () => {
  it('turns existing autoJoinDomains into PENDING requests (audited) and takes them out of auto-join', async () => {
    const database = await createSuiteDatabase({ migrated: false });
    const runner = database.dataSource.createQueryRunner();
    try {
      const index = migrations.indexOf(OrganisationDomains1764200000000);
      for (const Migration of migrations.slice(0, index)) await new Migration().up(runner);
      const [a] = await runner.query(`INSERT INTO organisations (name, slug, auto_join_domains) VALUES ('A', 'a', ARRAY['acme.example', 'gmail.com']) RETURNING id`);
      const [b] = await runner.query(`INSERT INTO organisations (name, slug, auto_join_domains) VALUES ('B', 'b', ARRAY['acme.example']) RETURNING id`);
      await runner.query(`INSERT INTO organisations (name, slug) VALUES ('C', 'c')`);
      await new OrganisationDomains1764200000000().up(runner);

      expect(await runner.query('SELECT organisation_id, domain, status, verified_at, length(verification_token) >= 43 AS long_token FROM organisation_domains ORDER BY domain, organisation_id')).toEqual(
        [
          { organisation_id: a.id, domain: 'acme.example', status: 'PENDING', verified_at: null, long_token: true },
          { organisation_id: b.id, domain: 'acme.example', status: 'PENDING', verified_at: null, long_token: true },
          { organisation_id: a.id, domain: 'gmail.com', status: 'PENDING', verified_at: null, long_token: true },
        ].sort((left, right) => left.domain.localeCompare(right.domain) || left.organisation_id.localeCompare(right.organisation_id)),
      );
      expect(await runner.query(`SELECT DISTINCT auto_join_domains FROM organisations`)).toEqual([{ auto_join_domains: [] }]);
      const events = await runner.query(`SELECT organisation_id, details->>'domain' AS domain FROM audit_events WHERE action = 'domain.requested' ORDER BY 2, 1`);
      expect(events).toHaveLength(3);
      const tokens = await runner.query('SELECT DISTINCT verification_token FROM organisation_domains');
      expect(tokens).toHaveLength(3);
    } finally {
      await runner.release();
      await database.drop();
    }
  });
});
