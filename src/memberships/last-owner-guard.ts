import { liveGrant, permanentGrant } from '../access/grant-expiry';
import type { EntityManager } from 'typeorm';
import { conflict } from '../core/errors';

/**
 * Serialises every change that can take Owner away in one organisation (a row lock on the
 * organisation), so two concurrent requests cannot each remove "the other" last Owner.
 */
export async function lockOrganisation(manager: EntityManager, organisationId: string): Promise<void> {
  await manager.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [organisationId]);
}

/**
 * SQL over the membership `m`: active, and holding Owner permanently, directly or through a team's granted
 * roles. A time-bound grant (or team place) does not keep the organisation owned, since it will end by itself.
 */
export const ACTIVE_PERMANENT_OWNER = `m.status = 'ACTIVE' AND EXISTS (
  SELECT 1 FROM roles r WHERE r.organisation_id = m.organisation_id AND r.built_in_key = 'owner'
    AND (EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = r.id AND ${permanentGrant('mr')})
      OR EXISTS (SELECT 1 FROM team_members tm JOIN team_roles tr ON tr.team_id = tm.team_id
                 WHERE tm.membership_id = m.id AND tr.role_id = r.id AND ${permanentGrant('tm')})))`;

/** The organisation's {@link ACTIVE_PERMANENT_OWNER}s. */
export async function countActiveOwners(manager: EntityManager, organisationId: string): Promise<number> {
  const [{ count }] = await manager.query(
    `SELECT count(*)::int AS count FROM memberships m WHERE m.organisation_id = $1 AND ${ACTIVE_PERMANENT_OWNER}`,
    [organisationId],
  );
  return count;
}

/** Call after the change, inside its transaction (with the organisation locked first). */
export async function assertOwnerRemains(manager: EntityManager, organisationId: string): Promise<void> {
  if ((await countActiveOwners(manager, organisationId)) === 0) {
    throw conflict('The organisation must keep at least one active Owner');
  }
}

/** Whether a membership holds Owner (directly or through a team). */
export async function holdsOwner(manager: EntityManager, membershipId: string): Promise<boolean> {
  const rows = await manager.query(
    `SELECT 1 FROM memberships m JOIN roles r ON r.organisation_id = m.organisation_id AND r.built_in_key = 'owner'
     WHERE m.id = $1 AND (EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = r.id AND ${liveGrant('mr')})
       OR EXISTS (SELECT 1 FROM team_members tm JOIN team_roles tr ON tr.team_id = tm.team_id WHERE tm.membership_id = m.id AND tr.role_id = r.id AND ${liveGrant('tm')}))`,
    [membershipId],
  );
  return rows.length > 0;
}
