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

/** A role of `r` as one JSON object with the keys of {@link RoleRow} (timestamps as ISO text), for JSON aggregates. */
export const ROLE_JSON_FIELDS =
  "'id', r.id, 'organisation_id', r.organisation_id, 'name', r.name, 'description', r.description, " +
  "'built_in_key', r.built_in_key, 'permissions', r.permissions, 'created_at', r.created_at, 'updated_at', r.updated_at";
export const ROLE_JSON = `json_build_object(${ROLE_JSON_FIELDS})`;

/** A role from {@link ROLE_JSON}. */
export function roleFromJson(json: Omit<RoleRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string }): RoleEntity {
  return roleFromRow({ ...json, created_at: new Date(json.created_at), updated_at: new Date(json.updated_at) });
}
