import { liveGrant } from '../access/grant-expiry';
import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { RoleEntity } from '../roles/role.entity';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import { MembershipEntity } from './membership.entity';

/** A direct role as a membership holds it: the role, and when the grant ends (null: permanent). */
export type GrantedRole = RoleEntity & { grantExpiresAt?: Date | null };

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
    /** Direct roles still in force, each with its grant's expiry (`grantExpiresAt`, null: permanent). */
    rolesByMembershipId: new DataLoader<string, GrantedRole[]>(async (membershipIds) => {
      const rows: (RoleRow & { membership_id: string; grant_expires_at: Date | null })[] = await dataSource.query(
        `SELECT ${ROLE_COLUMNS}, l.membership_id, l.expires_at AS grant_expires_at FROM membership_roles l JOIN roles r ON r.id = l.role_id
         WHERE l.membership_id = ANY($1::uuid[]) AND ${liveGrant('l')} ORDER BY r.name, r.id`,
        [membershipIds.filter(isId)],
      );
      const byMembership = new Map<string, GrantedRole[]>();
      for (const row of rows) {
        const list = byMembership.get(row.membership_id) ?? [];
        list.push(Object.assign(roleFromRow(row), { grantExpiresAt: row.grant_expires_at }));
        byMembership.set(row.membership_id, list);
      }
      return membershipIds.map((id) => byMembership.get(id) ?? []);
    }),
  };
}
