import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import type { RoleEntity } from '../roles/role.entity';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import type { TeamEntity } from '../teams/team.entity';
import { TEAM_COLUMNS, teamFromRow } from '../teams/team.rows';
import { InvitationEntity } from './invitation.entity';
import { INVITATION_COLUMNS, invitationFromRow } from './invitation.rows';
import type { OpenInvitation } from './invitee';

function grouped<T>(keys: readonly string[], rows: { key: string; value: T }[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const { key, value } of rows) groups.set(key, [...(groups.get(key) ?? []), value]);
  return keys.map((key) => groups.get(key) ?? []);
}

/** Invitations by id and the roles and teams each offers; one statement per batch. */
export function createInvitationLoaders(dataSource: DataSource) {
  const invitationById = new DataLoader<string, InvitationEntity | null>(async (ids) => {
    const rows = await dataSource.getRepository(InvitationEntity).findBy({ id: In(ids.filter(isId)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return {
    invitationById,
    /**
     * Pending, unexpired invitations by (lower-case) address, across ACTIVE organisations (a suspended or
     * deleted one admits nobody), with the ids of the roles and teams they offer; newest first. Index
     * invitations_pending_invitee_idx.
     */
    openInvitationsByEmail: new DataLoader<string, OpenInvitation[]>(async (emails) => {
      const rows: Record<string, any>[] = await dataSource.query(
        `SELECT ${INVITATION_COLUMNS}, lower(i.email) AS invitee,
           ARRAY(SELECT l.role_id FROM invitation_roles l WHERE l.invitation_id = i.id) AS role_ids,
           ARRAY(SELECT l.team_id FROM invitation_teams l WHERE l.invitation_id = i.id) AS team_ids
         FROM invitations i JOIN organisations o ON o.id = i.organisation_id
         WHERE lower(i.email) = ANY($1::text[]) AND i.status = 'PENDING' AND i.expires_at > now() AND o.status = 'ACTIVE'
         ORDER BY i.created_at DESC, i.id DESC`,
        [emails],
      );
      const open = rows.map((row) => {
        const invitation = invitationFromRow(row);
        invitationById.prime(invitation.id, invitation);
        return { invitee: row.invitee as string, invitation: Object.assign(invitation, { roleIds: row.role_ids as string[], teamIds: row.team_ids as string[] }) };
      });
      return emails.map((email) => open.filter((entry) => entry.invitee === email).map((entry) => entry.invitation));
    }),
    rolesByInvitationId: new DataLoader<string, RoleEntity[]>(async (invitationIds) => {
      const rows: (RoleRow & { invitation_id: string })[] = await dataSource.query(
        `SELECT ${ROLE_COLUMNS}, l.invitation_id FROM invitation_roles l JOIN roles r ON r.id = l.role_id
         WHERE l.invitation_id = ANY($1::uuid[]) ORDER BY r.name, r.id`,
        [invitationIds.filter(isId)],
      );
      return grouped(invitationIds, rows.map((row) => ({ key: row.invitation_id, value: roleFromRow(row) })));
    }),
    teamsByInvitationId: new DataLoader<string, TeamEntity[]>(async (invitationIds) => {
      const rows: Record<string, any>[] = await dataSource.query(
        `SELECT ${TEAM_COLUMNS}, l.invitation_id FROM invitation_teams l JOIN teams t ON t.id = l.team_id
         WHERE l.invitation_id = ANY($1::uuid[]) ORDER BY lower(t.name), t.id`,
        [invitationIds.filter(isId)],
      );
      return grouped(invitationIds, rows.map((row) => ({ key: row.invitation_id as string, value: teamFromRow(row) })));
    }),
  };
}
