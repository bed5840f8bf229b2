import type { DataSource } from 'typeorm';
import { runTransaction } from '../core/database/transaction';
import { logger } from '../core/logger';
import { PeriodicTask } from '../core/outbox/periodic-task';
import type { ReviewCampaignCloser } from './review-campaign-closer';
import { SELECT_DUE } from './review-campaign.queries';
import { campaignFromRow } from './review-campaign.rows';

export interface ReviewCampaignSweeperOptions {
  /** REVIEW_CAMPAIGN_SWEEP_INTERVAL_MS; 0: never started (tests call runOnce). */
  intervalMs: number;
  /** Campaigns looked at per round. */
  batchSize?: number;
}

/**
 * Closes campaigns whose due date passed: the default applies to undecided items (revokes through the
 * services) and recurring campaigns are followed by their next one. Safe with several instances: each
 * campaign is closed in a transaction of its own that takes its organisation's lock with SKIP LOCKED (an
 * organisation busy elsewhere, another sweeper included, is left for the next round) and then finds the
 * campaign still OPEN, or leaves it; so a campaign closes, and recurs, exactly once.
 */
export class ReviewCampaignSweeper {
  private readonly task: PeriodicTask;
  private readonly batchSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly closer: ReviewCampaignCloser,
    options: ReviewCampaignSweeperOptions,
  ) {
    this.batchSize = options.batchSize ?? 50;
    this.task = new PeriodicTask('review campaign sweeper', options.intervalMs, () => this.runOnce());
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Closes what is due now (a next campaign already due too, in the following pass); answers how many it closed. */
  async runOnce(): Promise<number> {
    let closed = 0;
    for (;;) {
      const due: { id: string; organisation_id: string }[] = await this.dataSource.query(SELECT_DUE, [this.batchSize]);
      let progressed = 0;
      for (const candidate of due) {
        try {
          if (await this.closeIfDue(candidate.id, candidate.organisation_id)) progressed += 1;
        } catch (error) {
          // One campaign's failure must not stop the others; it is tried again next round.
          logger.error({ err: error, campaignId: candidate.id }, 'closing a due review campaign failed');
        }
      }
      closed += progressed;
      if (due.length < this.batchSize || progressed === 0) return closed;
    }
  }

  private closeIfDue(campaignId: string, organisationId: string): Promise<boolean> {
    return runTransaction(this.dataSource, async (manager) => {
      const locked = await manager.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE SKIP LOCKED', [organisationId]);
      if (locked.length === 0) return false;
      const [row] = await manager.query(`SELECT * FROM review_campaigns WHERE id = $1 AND status = 'OPEN' AND due_at <= now() FOR UPDATE`, [campaignId]);
      if (!row) return false;
      await this.closer.close(manager, null, campaignFromRow(row), 'due');
      return true;
    });
  }
}
