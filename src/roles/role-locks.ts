import type { EntityManager } from 'typeorm';
import { badInput } from '../core/errors';

/**
 * Lock order for every transaction that grants roles: the organisation row first (`lockOrganisation`,
 * as `deleteRole` and the last-Owner guard do), then the granted roles, KEY SHARE, in id order. The
 * roles were read before the transaction; one deleted since then (a concurrent `deleteRole`) is refused
 * as BAD_USER_INPUT for that id, exactly like an unknown one, instead of a foreign-key violation.
 */
export async function lockGrantedRoles(manager: EntityManager, organisationId: string, roleIds: readonly string[], detailKey: 'field' | 'argument'): Promise<void> {
  if (roleIds.length === 0) return;
  const ids = [...new Set(roleIds)].sort();
  const rows: { id: string }[] = await manager.query('SELECT id FROM roles WHERE organisation_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR KEY SHARE', [organisationId, ids]);
  const present = new Set(rows.map((row) => row.id));
  const unknown = ids.filter((id) => !present.has(id));
  if (unknown.length > 0) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { [detailKey]: 'roleIds', unknown });
}
