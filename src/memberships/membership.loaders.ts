import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { RoleEntity } from '../roles/role.entity';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import { MembershipEntity } from './membership.entity';

/** Memberships by id and by user, and each membership's direct roles; one statement per batch. */
export function createMembershipLoaders(dataSource: DataSource) {
  return {
    membershipById: new DataLoader<string, MembershipEntity | null>(async (ids) => {
      const rows = await dataSource.getRepository(MembershipEntity).findBy({ id: In(ids.filter(isId)) });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    membershipsByUserId: new DataLoader<string, MembershipEntity[]>(async (userIds) => {
      const rows = await dataSource.getRepository(MembershipEntity).find({
        where: { userId: In(userIds.filter(isId)) },
        order: { joinedAt: 'ASC', id: 'ASC' },
      });
      return userIds.map((userId) => rows.filter((row) => row.userId === userId)); // batches are small: one user per viewer
    }),
    rolesByMembershipId: new DataLoader<string, RoleEntity[]>(async (membershipIds) => {
      const rows: (RoleRow & { membership_id: string })[] = await dataSource.query(
        `SELECT ${ROLE_COLUMNS}, l.membership_id FROM membership_roles l JOIN roles r ON r.id = l.role_id
         WHERE l.membership_id = ANY($1::uuid[]) ORDER BY r.name, r.id`,
        [membershipIds.filter(isId)],
      );
      const byMembership = new Map<string, RoleEntity[]>();
      for (const row of rows) {
        const list = byMembership.get(row.membership_id) ?? [];
        list.push(roleFromRow(row));
        byMembership.set(row.membership_id, list);
      }
      return membershipIds.map((id) => byMembership.get(id) ?? []);
    }),
  };
}
