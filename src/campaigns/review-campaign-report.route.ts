import type { Authenticator } from '../core/auth/authenticator';
import { maySeeContact, redactEmails } from '../core/authz/contact-details';
import type { AppServices } from '../core/context/app-services';
import { downloadRoute } from '../core/http/download-route';
import { requireReviewableCampaign } from './review-campaign-access';
import type { ReviewCampaignView } from './review-campaign.rows';

/** Rows read per statement while streaming. */
const BATCH_SIZE = 500;

const COLUMNS = [
  'campaign_id', 'campaign_name', 'item_id', 'kind', 'membership_id', 'user_id', 'member_name', 'member_email', 'grant', 'role_id', 'team_id',
  'effective_permissions', 'last_sign_in_at', 'reviewer_membership_id', 'reviewer_name', 'decision', 'comment', 'decided_at',
  'decided_by_user_id', 'decided_by_name', 'outcome', 'outcome_reason',
] as const;

const SELECT_BATCH = `
  SELECT i.position, i.id, i.kind, i.membership_id, i.user_id, u.display_name AS member_name, u.email AS member_email, i.grant_name,
    i.role_id, i.team_id, i.effective_permissions, i.last_sign_in_at, i.reviewer_membership_id, ru.display_name AS reviewer_name,
    i.decision, i.comment, i.decided_at, i.decided_by_user_id, du.display_name AS decided_by_name, i.outcome, i.outcome_reason
  FROM review_items i
  JOIN users u ON u.id = i.user_id
  LEFT JOIN memberships rm ON rm.id = i.reviewer_membership_id
  LEFT JOIN users ru ON ru.id = rm.user_id
  LEFT JOIN users du ON du.id = i.decided_by_user_id
  WHERE i.campaign_id = $1 AND i.position > $2
  ORDER BY i.position LIMIT $3`;

/**
 * `GET /reports/review-campaigns/:id.csv`: a campaign's report (who decided what, when; what was revoked),
 * with the same bearer token and permission (access:review) as the API; another organisation's campaign
 * is 404, like a missing one. Streamed through the download mechanism (src/core/http/download-route.ts),
 * a batch of rows per statement; email addresses only with members:read-contact (the contact rule), as in the API.
 */
export function reviewCampaignReport(services: AppServices, authenticator: Authenticator) {
  return downloadRoute('review campaign report', services, authenticator, async (ctx, request) => {
    const campaign = await requireReviewableCampaign(ctx, String(request.params.id));
    const contact = (await maySeeContact(ctx, { scopes: [{ organisationId: campaign.organisationId }] })) === true;
    return {
      format: 'csv',
      filename: `review-campaign-${campaign.id}.csv`,
      columns: COLUMNS,
      records: () => records(services, campaign, contact),
    };
  });
}

async function* records(services: AppServices, campaign: ReviewCampaignView, contact: boolean): AsyncGenerator<unknown[]> {
  const text = (value: unknown) => (contact ? value : redactEmails(value));
  for (let after = 0; ; ) {
    const rows: Record<string, any>[] = await services.dataSource.query(SELECT_BATCH, [campaign.id, after, BATCH_SIZE]);
    for (const row of rows) {
      yield [
        campaign.id, text(campaign.name), row.id, row.kind, row.membership_id, row.user_id, text(row.member_name), contact ? row.member_email : '',
        text(row.grant_name), row.role_id, row.team_id, (row.effective_permissions as string[]).join(' '), row.last_sign_in_at, row.reviewer_membership_id,
        text(row.reviewer_name), row.decision, text(row.comment), row.decided_at, row.decided_by_user_id, text(row.decided_by_name), row.outcome, text(row.outcome_reason),
      ];
    }
    if (rows.length < BATCH_SIZE) return;
    after = rows[rows.length - 1].position;
  }
}
