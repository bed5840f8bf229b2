import { badInput } from '../core/errors';
import { ReviewDecision, ReviewScopeKind } from './review-campaign.enums';
import type { CreateReviewCampaignInput } from './review-campaign.inputs';

export const NAME_LENGTH = { min: 1, max: 200 } as const;
export const RECURRENCE_MONTHS = { min: 1, max: 24 } as const;
export const MAX_SCOPE_IDS = 100;
export const COMMENT_MAX_LENGTH = 1000;
/** How far ahead a due date may be. */
export const MAX_DUE_DAYS = 731;

/** A campaign as asked for, once its input is well-formed (ids not yet checked against the organisation). */
export interface CampaignDraft {
  organisationId: string;
  name: string;
  scopeKind: ReviewScopeKind;
  roleIds: string[];
  teamIds: string[];
  dueAt: Date;
  defaultDecision: ReviewDecision;
  recurrenceMonths: number | null;
}

function scopeIds(kind: ReviewScopeKind, field: 'roleIds' | 'teamIds', given: string[] | null | undefined, wanted: ReviewScopeKind): string[] {
  const ids = [...new Set(given ?? [])];
  if (kind !== wanted) {
    if (ids.length > 0) throw badInput(`scope.${field} is only for scope kind ${wanted}`, { field: `scope.${field}` });
    return [];
  }
  if (ids.length === 0) throw badInput(`scope kind ${wanted} needs at least one of scope.${field}`, { field: `scope.${field}` });
  if (ids.length > MAX_SCOPE_IDS) throw badInput(`scope.${field} may hold at most ${MAX_SCOPE_IDS} ids`, { field: `scope.${field}` });
  return ids;
}

/** Checks everything that needs no database: name, scope shape, due date, recurrence. */
export function campaignDraft(input: CreateReviewCampaignInput, now = new Date()): CampaignDraft {
  const name = input.name.trim();
  if (name.length < NAME_LENGTH.min || name.length > NAME_LENGTH.max) {
    throw badInput(`name must be ${NAME_LENGTH.min}–${NAME_LENGTH.max} characters`, { field: 'name' });
  }
  const dueAt = input.dueAt;
  if (!(dueAt instanceof Date) || Number.isNaN(dueAt.getTime())) throw badInput('dueAt is not a date', { field: 'dueAt' });
  if (dueAt.getTime() <= now.getTime()) throw badInput('dueAt must be in the future', { field: 'dueAt' });
  if (dueAt.getTime() > now.getTime() + MAX_DUE_DAYS * 86_400_000) throw badInput(`dueAt must be at most ${MAX_DUE_DAYS} days ahead`, { field: 'dueAt' });
  const recurrence = input.recurrenceMonths ?? null;
  if (recurrence !== null && (!Number.isInteger(recurrence) || recurrence < RECURRENCE_MONTHS.min || recurrence > RECURRENCE_MONTHS.max)) {
    throw badInput(`recurrenceMonths must be between ${RECURRENCE_MONTHS.min} and ${RECURRENCE_MONTHS.max}`, { field: 'recurrenceMonths' });
  }
  const kind = input.scope.kind;
  return {
    organisationId: input.organisationId,
    name,
    scopeKind: kind,
    roleIds: scopeIds(kind, 'roleIds', input.scope.roleIds, ReviewScopeKind.ROLES),
    teamIds: scopeIds(kind, 'teamIds', input.scope.teamIds, ReviewScopeKind.TEAMS),
    dueAt,
    defaultDecision: input.defaultDecision ?? ReviewDecision.KEEP,
    recurrenceMonths: recurrence,
  };
}

/** A reviewer's comment: trimmed, empty is none, at most {@link COMMENT_MAX_LENGTH} characters. */
export function reviewComment(comment: string | null | undefined): string | null {
  const trimmed = comment?.trim() ?? '';
  if (trimmed.length > COMMENT_MAX_LENGTH) throw badInput(`comment must be at most ${COMMENT_MAX_LENGTH} characters`, { field: 'comment' });
  return trimmed === '' ? null : trimmed;
}
