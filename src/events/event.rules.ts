import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, holdsOnParent, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import type { EventView } from './event.type';

/** events:read in the event's organisation, or a platform administrator reading the platform feed. */
export const readsEvent = objectRule('readsEvent', (event: EventView, ctx: RequestContext) => {
  if (event.readVia === 'platform') return ctx.isPlatformAdmin;
  if (!event.organisationId) return false;
  return withAccess(ctx, event.organisationId, (snapshot) => decidePermission(snapshot, 'events:read'));
});

export const eventRules: RuleMap = {
  Organisation: {
    events: holdsOnParent('events:read', 'id'),
  },
  Event: {
    '*': readsEvent,
  },
};
