import type { AccessSnapshot } from './access-snapshot';
import { AppError, ErrorCode } from '../core/errors';
import { recordRefusal } from '../core/observability/authz-metrics';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { rolePermissions } from '../roles/built-in-roles';

interface GrantableRole {
  name: string;
  builtInKey: string | null;
  permissions: readonly string[];
}

/**
 * No escalation (DESIGN.md §3): nobody grants what they do not hold. A role may be assigned, granted
 * to a team or written only when everything it would grant is within the caller's own P(u, o);
 * the Owner role only by an Owner.
 */
export function assertCanGrant(snapshot: AccessSnapshot, roles: readonly GrantableRole[], catalogue: PermissionCatalogue, boundary: readonly string[] | null): void {
  for (const role of roles) {
    if (role.builtInKey === 'owner' && !snapshot.owner) {
      recordRefusal('role:owner', ErrorCode.FORBIDDEN);
      throw new AppError(ErrorCode.FORBIDDEN, 'Only an Owner may grant the Owner role');
    }
    assertHoldsAll(snapshot, rolePermissions(role, catalogue), catalogue, boundary, `role "${role.name}"`);
  }
}

/**
 * Everything the permissions would grant here (closed under implication, cut to the boundary, as the
 * evaluator does) must be held by the caller.
 */
export function assertHoldsAll(snapshot: AccessSnapshot, permissions: Iterable<string>, catalogue: PermissionCatalogue, boundary: readonly string[] | null, what: string): void {
  const inside = boundary === null ? () => true : (key: string) => boundary.includes(key);
  const missing = [...catalogue.close(permissions)].filter((key) => inside(key) && !snapshot.has(key));
  if (missing.length > 0) {
    for (const key of missing) recordRefusal(key, ErrorCode.FORBIDDEN);
    throw new AppError(ErrorCode.FORBIDDEN, `You cannot grant ${what}: you do not hold ${missing.sort().join(', ')}`, { missing });
  }
}

/** Whether {@link assertCanGrant} would let the snapshot's holder grant `role` (records no refusal). */
export function canGrant(snapshot: AccessSnapshot, role: GrantableRole, catalogue: PermissionCatalogue, boundary: readonly string[] | null): boolean {
  if (role.builtInKey === 'owner' && !snapshot.owner) return false;
  const inside = boundary === null ? () => true : (key: string) => boundary.includes(key);
  return [...catalogue.close(rolePermissions(role, catalogue))].every((key) => !inside(key) || snapshot.has(key));
}
