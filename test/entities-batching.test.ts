import { In } from 'typeorm';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { createOrganisation, platformAdmin, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { startTestService, type TestService } from './support/test-service';

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Membership { id status }
    ... on Team { id name }
    ... on User { id displayName }
  }
}`;

/** Federation at gateway scale: 200 representations per type, batched, with another organisation's as null. */
describe('_entities with 200 representations per type', () => {
  let service: TestService;
  let a: TestOrganisation;
  let ofA: { memberships: string[]; users: string[]; teams: string[] };
  let ofB: { memberships: string[]; users: string[]; teams: string[] };

  const seed = async (organisationId: string, count: number) => {
    const seeded = await seedMembers(service.database.dataSource, organisationId, { count, teamsEach: 0 });
    const teams: { id: string }[] = await service.database.dataSource.query(
      `INSERT INTO teams (organisation_id, name) SELECT $1, 'Team ' || n || ' ' || $2 FROM generate_series(1, $3::int) n RETURNING id`,
      [organisationId, organisationId.slice(0, 8), count],
    );
    const memberships = await service.database.dataSource.getRepository(MembershipEntity).findBy({ id: In(seeded.membershipIds) });
    const userOf = new Map(memberships.map((membership) => [membership.id, membership.userId]));
    return { memberships: seeded.membershipIds, users: seeded.membershipIds.map((id) => userOf.get(id) as string), teams: teams.map((team) => team.id) };
  };

  beforeAll(async () => {
    service = await startTestService();
    const admin = await platformAdmin(service);
    a = await createOrganisation(service, admin);
    const b = await createOrganisation(service, admin);
    ofA = await seed(a.id, 200);
    ofB = await seed(b.id, 20);
  });
  afterAll(() => service.stop());

  const representations = (ids: typeof ofA, size: number) => [
    ...ids.memberships.slice(0, size).map((id) => ({ __typename: 'Membership', id })),
    ...ids.teams.slice(0, size).map((id) => ({ __typename: 'Team', id })),
    ...ids.users.slice(0, size).map((id) => ({ __typename: 'User', id })),
  ];

  it('resolves 600 representations with the statements of 6, and B\'s as null', async () => {
    const small = await service.countStatements(ENTITIES, { representations: [...representations(ofA, 2), ...representations(ofB, 2)] }, a.owner.token);
    const large = await service.countStatements(ENTITIES, { representations: [...representations(ofA, 200), ...representations(ofB, 20)] }, a.owner.token);
    expect(large.response.errors).toBeUndefined();
    const entities = large.response.data._entities;
    expect(entities).toHaveLength(660);
    expect(entities.slice(0, 600).every((entity: unknown) => entity !== null)).toBe(true);
    expect(entities.slice(600)).toEqual(Array(60).fill(null));
    expect(entities.slice(0, 200).map((entity: any) => entity.id)).toEqual(ofA.memberships);
    process.stdout.write(`_entities: ${small.count} statements for 12 representations, ${large.count} for 660\n`);
    expect(large.count).toBe(small.count);
    // One statement per entity type (plus sign-in and the caller's access snapshot).
    const byTable = (table: string) => large.statements.filter((statement) => new RegExp(`FROM "?${table}"?`, 'i').test(statement)).length;
    expect(byTable('teams')).toBe(1);
    expect(large.statements.filter((statement) => /FROM "memberships"/.test(statement)).length).toBe(1);
    expect(large.statements.filter((statement) => /FROM users u LEFT JOIN memberships/.test(statement)).length).toBe(1);
    expect(large.count).toBeLessThanOrEqual(6);
  });
});
