import { AppError } from '../core/errors';
import { campaignDraft, reviewComment } from './review-campaign-input';
import { ReviewDecision, ReviewScopeKind } from './review-campaign.enums';
import type { CreateReviewCampaignInput } from './review-campaign.inputs';

const NOW = new Date('2025-01-01T00:00:00Z');
const ID = '00000000-0000-4000-8000-000000000001';

const input = (overrides: Partial<CreateReviewCampaignInput> = {}): CreateReviewCampaignInput =>
  Object.assign(
    { organisationId: ID, name: ' Q1 review ', scope: { kind: ReviewScopeKind.ALL }, dueAt: new Date('2025-03-31T00:00:00Z') },
    overrides,
  ) as CreateReviewCampaignInput;

/** The field a refusal names, or 'accepted'. */
function refusal(overrides: Partial<CreateReviewCampaignInput>): string {
  try {
    campaignDraft(input(overrides), NOW);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect(error.code).toBe('BAD_USER_INPUT');
    return String(error.extensions.field);
  }
}

describe('campaignDraft', () => {
  it('trims the name, defaults the decision to KEEP, keeps one of each id', () => {
    const draft = campaignDraft(input({ scope: { kind: ReviewScopeKind.ROLES, roleIds: [ID, ID] } }), NOW);
    expect(draft).toMatchObject({ name: 'Q1 review', defaultDecision: ReviewDecision.KEEP, roleIds: [ID], teamIds: [], recurrenceMonths: null });
  });

  it.each([
    ['an empty name', { name: '  ' }, 'name'],
    ['201 characters', { name: 'x'.repeat(201) }, 'name'],
    ['now as the due date', { dueAt: NOW }, 'dueAt'],
    ['an invalid date', { dueAt: new Date('nope') }, 'dueAt'],
    ['732 days ahead', { dueAt: new Date(NOW.getTime() + 732 * 86_400_000) }, 'dueAt'],
    ['a fractional recurrence', { recurrenceMonths: 1.5 }, 'recurrenceMonths'],
    ['a recurrence of 25 months', { recurrenceMonths: 25 }, 'recurrenceMonths'],
    ['ROLES without roles', { scope: { kind: ReviewScopeKind.ROLES, roleIds: [] } }, 'scope.roleIds'],
    ['TEAMS without teams', { scope: { kind: ReviewScopeKind.TEAMS } }, 'scope.teamIds'],
    ['PRIVILEGED with teams', { scope: { kind: ReviewScopeKind.PRIVILEGED, teamIds: [ID] } }, 'scope.teamIds'],
    ['101 roles', { scope: { kind: ReviewScopeKind.ROLES, roleIds: Array.from({ length: 101 }, (_, n) => `${n}`) } }, 'scope.roleIds'],
  ] as const)('refuses %s', (_label, overrides, field) => {
    expect(refusal(overrides as Partial<CreateReviewCampaignInput>)).toBe(field);
  });

  it('accepts the edges: 200 characters, 731 days, 1 and 24 months', () => {
    expect(refusal({ name: 'x'.repeat(200), dueAt: new Date(NOW.getTime() + 731 * 86_400_000), recurrenceMonths: 24 })).toBe('accepted');
    expect(refusal({ recurrenceMonths: 1 })).toBe('accepted');
  });
});

describe('reviewComment', () => {
  it('trims, treats empty as none, refuses more than 1000 characters', () => {
    expect(reviewComment('  ok  ')).toBe('ok');
    expect(reviewComment('   ')).toBeNull();
    expect(reviewComment(undefined)).toBeNull();
    expect(reviewComment('x'.repeat(1000))).toHaveLength(1000);
    expect(() => reviewComment('x'.repeat(1001))).toThrow(AppError);
  });
});
