import { liveGrant } from '../access/grant-expiry';
import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { BUILT_IN_ROLES } from './built-in-roles';
import { RoleEntity } from './role.entity';

const rank = (role: RoleEntity) => (role.builtInKey ? BUILT_IN_ROLES.findIndex((builtIn) => builtIn.key === role.builtInKey) : BUILT_IN_ROLES.length);

/** Built-in roles in order of privilege, then custom roles oldest first. */
function byPrivilegeThenAge(left: RoleEntity, right: RoleEntity): number {
  return rank(left) - rank(right) || left.createdAt.getTime() - right.createdAt.getTime() || left.id.localeCompare(right.id);
}

/** Roles by id and by organisation, and how many memberships hold each role; one statement per batch. */
export function createRoleLoaders(dataSource: DataSource) {
  return {
    roleById: new DataLoader<string, RoleEntity | null>(async (ids) => {
      const rows = await dataSource.getRepository(RoleEntity).findBy({ id: In(ids.filter(isId)) });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    rolesByOrganisationId: new DataLoader<string, RoleEntity[]>(async (organisationIds) => {
      const rows = await dataSource.getRepository(RoleEntity).find({
        where: { organisationId: In(organisationIds.filter(isId)) },
        order: { createdAt: 'ASC', id: 'ASC' },
      });
      rows.sort(byPrivilegeThenAge);
      const byOrganisation = new Map<string, RoleEntity[]>();
      for (const row of rows) byOrganisation.set(row.organisationId, [...(byOrganisation.get(row.organisationId) ?? []), row]);
      return organisationIds.map((id) => byOrganisation.get(id) ?? []);
    }),
    assignedCountByRoleId: new DataLoader<string, number>(async (roleIds) => {
      const rows: { role_id: string; count: string }[] = await dataSource.query(
        `SELECT role_id, count(*) AS count FROM membership_roles l WHERE role_id = ANY($1::uuid[]) AND ${liveGrant('l')} GROUP BY role_id`,
        [roleIds.filter(isId)],
      );
      const byId = new Map(rows.map((row) => [row.role_id, Number(row.count)]));
      return roleIds.map((id) => byId.get(id) ?? 0);
    }),
  };
}
