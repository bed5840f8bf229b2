import type { EntityManager } from 'typeorm';
import { currentRequestScope } from '../core/context/request-scope';

/** The action of a sign-in as each organisation of the person sees it (target: their membership there). */
export const MEMBER_SIGNED_IN = 'member.signed_in';

/** The events' INSERT … SELECT over `memberships m` of the users in `signed` (a relation with column `id`); `$n` is the request id. */
const insertEvents = (signed: string, requestIdParameter: string) => `
  INSERT INTO audit_events (organisation_id, actor_user_id, action, target_type, target_id, details, request_id)
  SELECT m.organisation_id, m.user_id, '${MEMBER_SIGNED_IN}', 'Membership', m.id::text, '{}'::jsonb, ${requestIdParameter}
  FROM ${signed} JOIN memberships m ON m.user_id = signed.id AND m.status = 'ACTIVE'
  JOIN organisations o ON o.id = m.organisation_id AND o.status = 'ACTIVE'`;

/**
 * A returning user's sign-in, throttled like `lastSignInAt`: in one statement, `last_sign_in_at` becomes
 * `at` unless it is already later than `staleBefore` (so of concurrent requests only one records it), and
 * then a `member.signed_in` event is written in every ACTIVE organisation (not suspended or deleted) where
 * the user is an ACTIVE member.
 */
export async function recordSignIn(manager: EntityManager, userId: string, at: Date, staleBefore: Date): Promise<void> {
  await manager.query(
    `WITH signed AS (
       UPDATE users SET last_sign_in_at = $2 WHERE id = $1 AND (last_sign_in_at IS NULL OR last_sign_in_at < $3) RETURNING id
     )${insertEvents('signed', '$4')}`,
    [userId, at, staleBefore, currentRequestScope()?.requestId ?? null],
  );
}

/** The sign-in events of a user whose first sign-in just linked them to a placeholder (already a member through imports). */
export async function recordFirstSignIn(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`WITH signed AS (SELECT $1::uuid AS id)${insertEvents('signed', '$2')}`, [userId, currentRequestScope()?.requestId ?? null]);
}
