import { once } from 'node:events';
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify';
import type { Authenticator } from '../core/auth/authenticator';
import { maySeeContact, redactEmails } from '../core/authz/contact-details';
import type { AppServices } from '../core/context/app-services';
import { RequestContext } from '../core/context/request-context';
import { currentRequestScope } from '../core/context/request-scope';
import { AppError, ErrorCode, unauthenticated, unavailableFromDatabase } from '../core/errors';
import { logger } from '../core/logger';
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

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.MFA_REQUIRED]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection): quote it as text.
const FORMULA_START = /^[=+\-@\t\r]/;
const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
};

/**
 * `GET /reports/review-campaigns/:id.csv`: a campaign's report (who decided what, when; what was revoked),
 * with the same bearer token and permission (access:review) as the API; another organisation's campaign
 * is 404, like a missing one. Streamed through csv-stringify with backpressure, a batch of rows per
 * statement; email addresses only with members:read-contact (the contact rule), as in the API.
 */
export function reviewCampaignReport(services: AppServices, authenticator: Authenticator) {
  return async (request: Request, response: Response): Promise<void> => {
    let ctx: RequestContext;
    let campaign: ReviewCampaignView;
    try {
      const { principal } = await authenticator.authenticate(request.headers.authorization);
      if (!principal) throw unauthenticated();
      ctx = new RequestContext(services, currentRequestScope()?.requestId ?? 'report', principal);
      campaign = await requireReviewableCampaign(ctx, String(request.params.id));
    } catch (error) {
      refuse(response, error);
      return;
    }
    const contact = (await maySeeContact(ctx, { scopes: [{ organisationId: campaign.organisationId }] })) === true;
    response.status(200);
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="review-campaign-${campaign.id}.csv"`);
    response.setHeader('cache-control', 'no-store');
    const csv = stringify({ header: true, columns: [...COLUMNS] });
    // A client that goes away stops the reading (a paused stream would otherwise wait for it forever).
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    csv.pipe(response);
    try {
      await writeRows(services, campaign, contact, csv, gone.signal);
      csv.end();
    } catch (error) {
      if (!gone.signal.aborted) logger.error({ err: error, campaignId: campaign.id }, 'review campaign report failed while streaming');
      csv.destroy();
      response.destroy();
    }
  };
}

async function writeRows(services: AppServices, campaign: ReviewCampaignView, contact: boolean, csv: ReturnType<typeof stringify>, signal: AbortSignal): Promise<void> {
  const text = (value: unknown) => cell(contact ? value : redactEmails(value));
  for (let after = 0; ; ) {
    const rows: Record<string, any>[] = await services.dataSource.query(SELECT_BATCH, [campaign.id, after, BATCH_SIZE]);
    for (const row of rows) {
      const record = [
        campaign.id, text(campaign.name), row.id, row.kind, row.membership_id, row.user_id, text(row.member_name), contact ? cell(row.member_email) : '',
        text(row.grant_name), row.role_id, row.team_id, (row.effective_permissions as string[]).join(' '), cell(row.last_sign_in_at), row.reviewer_membership_id,
        text(row.reviewer_name), row.decision, text(row.comment), cell(row.decided_at), row.decided_by_user_id, text(row.decided_by_name), row.outcome, text(row.outcome_reason),
      ].map(cell);
      if (!csv.write(record)) await once(csv, 'drain', { signal });
    }
    signal.throwIfAborted();
    if (rows.length < BATCH_SIZE) return;
    after = rows[rows.length - 1].position;
  }
}

function refuse(response: Response, error: unknown): void {
  const known = error instanceof AppError ? error : unavailableFromDatabase(error);
  const code = known?.code;
  const status = code ? STATUS[code] : undefined;
  if (!code || !status) {
    logger.error({ err: error }, 'review campaign report failed');
    response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
    return;
  }
  response.status(status).json({ errors: [{ message: (known as AppError).message, extensions: { code } }] });
}
