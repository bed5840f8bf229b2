import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { UserEntity } from './user.entity';

/** Users by id, one statement per batch. */
export function createUserLoaders(dataSource: DataSource) {
  return {
    userById: new DataLoader<string, UserEntity | null>(async (ids) => {
      const rows = await dataSource.getRepository(UserEntity).findBy({ id: In(ids.filter(isId)) });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
