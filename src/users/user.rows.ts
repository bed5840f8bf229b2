import { UserEntity } from './user.entity';

/** Columns of `users` selected with a `u_` prefix next to another table's row. */
export const USER_COLUMNS_PREFIXED =
  'u.id AS u_id, u.issuer AS u_issuer, u.subject AS u_subject, u.email AS u_email, u.email_verified AS u_email_verified, ' +
  'u.display_name AS u_display_name, u.last_sign_in_at AS u_last_sign_in_at, u.created_at AS u_created_at, u.updated_at AS u_updated_at';

export function userFromPrefixedRow(row: Record<string, any>): UserEntity {
  return Object.assign(new UserEntity(), {
    id: row.u_id,
    issuer: row.u_issuer,
    subject: row.u_subject,
    email: row.u_email,
    emailVerified: row.u_email_verified,
    displayName: row.u_display_name,
    lastSignInAt: row.u_last_sign_in_at,
    createdAt: row.u_created_at,
    updatedAt: row.u_updated_at,
  });
}
