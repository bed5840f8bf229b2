import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { UserEntity } from './user.entity';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from './user.rows';

/** A user with the organisations they belong to (any status): what visibility is decided on. */
export interface UserWithOrganisations {
  user: UserEntity;
  organisationIds: string[];
}

/** Users by id, and users with their organisations (for federation references); one statement per batch. */
export function createUserLoaders(dataSource: DataSource) {
  const userById = new DataLoader<string, UserEntity | null>(async (ids) => {
    const rows = await dataSource.getRepository(UserEntity).findBy({ id: In(ids.filter(isId)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return {
    userById,
    userWithOrganisationsById: new DataLoader<string, UserWithOrganisations | null>(async (ids) => {
      const rows: Record<string, any>[] = await dataSource.query(
        `SELECT ${USER_COLUMNS_PREFIXED}, coalesce(array_agg(m.organisation_id) FILTER (WHERE m.organisation_id IS NOT NULL), '{}') AS organisation_ids
         FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = ANY($1::uuid[]) GROUP BY u.id`,
        [ids.filter(isId)],
      );
      const byId = new Map<string, UserWithOrganisations>();
      for (const row of rows) {
        const user = userFromPrefixedRow(row);
        userById.prime(user.id, user);
        byId.set(user.id, { user, organisationIds: row.organisation_ids });
      }
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
