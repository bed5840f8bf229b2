import { RoleEntity } from './role.entity';

/** Raw SQL row of `roles` (snake_case), as selected with `r.*`. */
export interface RoleRow {
  id: string;
  organisation_id: string;
  name: string;
  description: string;
  built_in_key: string | null;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
}

export const ROLE_COLUMNS = 'r.id, r.organisation_id, r.name, r.description, r.built_in_key, r.permissions, r.created_at, r.updated_at';

export function roleFromRow(row: RoleRow): RoleEntity {
  return Object.assign(new RoleEntity(), {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    description: row.description,
    builtInKey: row.built_in_key,
    permissions: row.permissions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
