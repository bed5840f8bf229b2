import { liveGrant, permanentGrant } from '../access/grant-expiry';
// The set work of review campaigns, one statement each whatever a campaign's size. Single rows use
// plain statements in the services.

/**
 * Snapshots a campaign's items (one statement): every grant in scope, member × direct role or member ×
 * team place, with the member's last sign-in and the item's reviewer: for a team place the team's
 * longest-serving active MANAGER other than the member, else the campaign owner unless the item is
 * theirs (then nobody: see README "Access-review campaigns"). Answers the counts.
 *
 * $1 organisation, $2 campaign, $3 scope kind, $4 role ids, $5 team ids, $6 privileged built-in role
 * keys, $7 privileged permission keys, $8 the campaign owner's membership (or null).
 */
export const INSERT_ITEMS = `
  WITH scoped_roles AS (
    SELECT r.id FROM roles r
    WHERE r.organisation_id = $1 AND CASE $3::text
      WHEN 'ALL' THEN true
      WHEN 'PRIVILEGED' THEN (r.built_in_key = ANY($6::text[]) OR r.permissions && $7::text[])
      WHEN 'ROLES' THEN r.id = ANY($4::uuid[])
      ELSE false END
  ), grants AS (
    SELECT l.membership_id, 'ROLE' AS kind, r.id AS role_id, NULL::uuid AS team_id, r.name AS grant_name
    FROM membership_roles l JOIN roles r ON r.id = l.role_id
    WHERE l.organisation_id = $1 AND l.role_id IN (SELECT id FROM scoped_roles) AND ${liveGrant('l')}
    UNION ALL
    SELECT tm.membership_id, 'TEAM_PLACE', NULL::uuid, t.id, t.name
    FROM team_members tm JOIN teams t ON t.id = tm.team_id
    WHERE tm.organisation_id = $1 AND ${liveGrant('tm')} AND CASE $3::text
      WHEN 'ALL' THEN true
      WHEN 'TEAMS' THEN t.id = ANY($5::uuid[])
      ELSE EXISTS (SELECT 1 FROM team_roles tr WHERE tr.team_id = t.id AND tr.role_id IN (SELECT id FROM scoped_roles)) END
  ), inserted AS (
    INSERT INTO review_items (organisation_id, campaign_id, position, kind, membership_id, user_id, role_id, team_id, grant_name, last_sign_in_at, reviewer_membership_id)
    SELECT $1, $2,
      row_number() OVER (ORDER BY lower(u.display_name), m.id, g.kind, lower(g.grant_name), coalesce(g.role_id, g.team_id)),
      g.kind, m.id, m.user_id, g.role_id, g.team_id, g.grant_name, u.last_sign_in_at,
      coalesce(manager.membership_id, CASE WHEN $8::uuid IS DISTINCT FROM m.id THEN $8::uuid END)
    FROM grants g
    JOIN memberships m ON m.id = g.membership_id
    JOIN users u ON u.id = m.user_id
    LEFT JOIN LATERAL (
      SELECT tm.membership_id FROM team_members tm JOIN memberships mm ON mm.id = tm.membership_id
      WHERE g.team_id IS NOT NULL AND tm.team_id = g.team_id AND tm.role = 'MANAGER' AND mm.status = 'ACTIVE' AND tm.membership_id <> m.id AND ${permanentGrant('tm')}
      ORDER BY tm.added_at, tm.membership_id LIMIT 1
    ) manager ON true
    RETURNING membership_id
  )
  SELECT count(*)::int AS items, count(DISTINCT membership_id)::int AS members FROM inserted`;

/** The memberships of a campaign's items, as a subquery over $1 (the campaign). */
export const CAMPAIGN_MEMBERSHIP_IDS = 'SELECT DISTINCT membership_id FROM review_items WHERE campaign_id = $1 AND membership_id IS NOT NULL';

/**
 * Fills the items' effective permissions (one statement): $2 is `[{ permissions, membershipIds }]`,
 * one entry per distinct set (members share few sets, so the parameter stays small).
 */
export const UPDATE_ITEM_PERMISSIONS = `
  UPDATE review_items i SET effective_permissions = g.permissions
  FROM (
    SELECT ARRAY(SELECT jsonb_array_elements_text(e->'permissions')) AS permissions, jsonb_array_elements_text(e->'membershipIds')::uuid AS membership_id
    FROM jsonb_array_elements($2::jsonb) e
  ) g
  WHERE i.campaign_id = $1 AND i.membership_id = g.membership_id`;

/** Progress of many campaigns in one statement. */
export const SELECT_PROGRESS = `
  SELECT campaign_id, count(*)::int AS total, count(decision)::int AS decided,
    count(*) FILTER (WHERE decision = 'KEEP')::int AS kept, count(*) FILTER (WHERE decision = 'REVOKE')::int AS revoked
  FROM review_items WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id`;

/** The campaign's undecided items, locked, with what a revoke of each would touch. */
export const SELECT_UNDECIDED_FOR_UPDATE = `
  SELECT i.id, i.kind, i.membership_id, i.user_id, i.role_id, i.team_id, i.reviewer_membership_id, r.built_in_key,
    EXISTS (SELECT 1 FROM team_roles tr JOIN roles o ON o.id = tr.role_id WHERE tr.team_id = i.team_id AND o.built_in_key = 'owner') AS team_grants_owner
  FROM review_items i LEFT JOIN roles r ON r.id = i.role_id
  WHERE i.campaign_id = $1 AND i.decision IS NULL AND i.outcome = 'PENDING'
  ORDER BY i.position
  FOR UPDATE OF i`;

/** Records many items' outcomes at once ($2… arrays of the same length). */
export const RECORD_OUTCOMES = `
  UPDATE review_items i SET decision = x.decision, outcome = x.outcome, outcome_reason = x.reason,
    decided_at = CASE WHEN x.decision IS NULL THEN NULL ELSE now() END
  FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS x(id, decision, outcome, reason)
  WHERE i.campaign_id = $1 AND i.id = x.id`;

/** The default KEEP, for every undecided item of the campaign. */
export const KEEP_UNDECIDED = `
  WITH kept AS (
    UPDATE review_items SET decision = 'KEEP', outcome = 'KEPT', decided_at = now()
    WHERE campaign_id = $1 AND decision IS NULL AND outcome = 'PENDING' RETURNING 1)
  SELECT count(*)::int AS count FROM kept`;

/**
 * Who holds Owner, and how (directly, or through which teams), among the organisation's ACTIVE
 * members: enough to tell in memory whether removing some grants would leave nobody holding it.
 */
export const SELECT_OWNER_HOLDINGS = `
  SELECT membership_id, direct, team_ids FROM (
    SELECT m.id AS membership_id,
      EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = o.id AND ${permanentGrant('mr')}) AS direct,
      ARRAY(SELECT tm.team_id FROM team_members tm JOIN team_roles tr ON tr.team_id = tm.team_id
            WHERE tm.membership_id = m.id AND tr.role_id = o.id AND ${permanentGrant('tm')}) AS team_ids
    FROM memberships m JOIN roles o ON o.organisation_id = m.organisation_id AND o.built_in_key = 'owner'
    WHERE m.organisation_id = $1 AND m.status = 'ACTIVE'
  ) h WHERE direct OR cardinality(team_ids) > 0`;

/**
 * The next campaign of a recurring one: same organisation, name, scope, default, owner, creator and
 * recurrence, due N months after the previous due date; at most one per campaign (unique previous).
 */
export const INSERT_NEXT_CAMPAIGN = `
  INSERT INTO review_campaigns (organisation_id, name, scope_kind, scope_role_ids, scope_team_ids, due_at, default_decision,
    owner_membership_id, recurrence_months, previous_campaign_id, created_by_user_id)
  SELECT organisation_id, name, scope_kind, scope_role_ids, scope_team_ids, due_at + make_interval(months => recurrence_months),
    default_decision, owner_membership_id, recurrence_months, id, created_by_user_id
  FROM review_campaigns WHERE id = $1 AND recurrence_months IS NOT NULL
  ON CONFLICT (previous_campaign_id, organisation_id) DO NOTHING
  RETURNING *`;

/** Open campaigns past their due date, oldest first (the sweeper's candidates; each is claimed on its own). */
export const SELECT_DUE = `
  SELECT id, organisation_id FROM review_campaigns WHERE status = 'OPEN' AND due_at <= now() ORDER BY due_at, id LIMIT $1`;
