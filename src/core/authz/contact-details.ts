import type { ShieldRule } from 'graphql-shield/typings/types';
import type { AccessSnapshot } from '../../access/access-snapshot';
import type { RequestContext } from '../context/request-context';
import { unauthenticated } from '../errors';
import { allowsInAnyScope, decidePermission } from './common-rules';
import { fieldRule } from './rule-engine';

/** The permission that reveals contact details (email addresses) of an organisation's people. */
export const CONTACT_PERMISSION = 'members:read-contact';

/** Where the caller reached a contact detail: an organisation, perhaps one of its teams. */
export interface ContactScope {
  organisationId: string;
  teamId?: string;
}

/** What decides whether an email address may be shown: how it was reached, and whose it is. */
export interface ContactContext {
  scopes: readonly ContactScope[];
  /** The user the address belongs to: they always see their own. */
  ownerUserId?: string | null;
  /** The address itself, when it names its owner (an invitation): its verified owner sees it. */
  ownerEmail?: string | null;
}

type Answer = boolean | Error;

const allowsContact = (snapshot: AccessSnapshot, { teamId }: ContactScope) =>
  teamId ? snapshot.hasInTeam(teamId, CONTACT_PERMISSION) : decidePermission(snapshot, CONTACT_PERMISSION) === true;

/**
 * The one rule for every email address the schema shows (DESIGN.md §3, contact details): yourself,
 * or members:read-contact in an organisation (or team) through which the address was reached.
 * Synchronous while the snapshots are known, as they are inside a list.
 */
export function maySeeContact(ctx: RequestContext, contact: ContactContext): Answer | Promise<Answer> {
  const principal = ctx.principal;
  if (!principal) return unauthenticated();
  if (contact.ownerUserId && contact.ownerUserId === principal.user.id) return true;
  if (contact.ownerEmail && principal.user.emailVerified && principal.user.email === contact.ownerEmail) return true;
  return allowsInAnyScope(ctx, contact.scopes, allowsContact);
}

// Per GraphQL type carrying an email field: how to read the contact context off its objects.
const carriers = new Map<string, (parent: any) => ContactContext>();

/** The field rule every email field of the schema carries; a type that did not say how is refused. */
export const readsContactDetails: ShieldRule = fieldRule('readsContactDetails', (parent, _args, ctx: RequestContext, info) => {
  const contextOf = carriers.get(info.parentType.name);
  return contextOf ? maySeeContact(ctx, contextOf(parent)) : false;
});

/** Declares `typeName`'s objects as carrying an email address, read as `contextOf` says; returns the rule for its field. */
export function contactField<T>(typeName: string, contextOf: (parent: T) => ContactContext): ShieldRule {
  carriers.set(typeName, contextOf);
  return readsContactDetails;
}

const EMAIL = /[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+/g;

/**
 * Free text (audit details, a display name, an import message) as a reader without the contact rule
 * may see it: every email address in it replaced, whatever the key or the nesting.
 */
export function redactEmails(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('@') ? value.replace(EMAIL, '[email hidden]') : value;
  if (Array.isArray(value)) return value.map(redactEmails);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, redactEmails(inner)]));
  }
  return value;
}

/** `value` itself when the caller may see contact details reached through `contact`, else with every address hidden. */
export async function withContactDetails<T>(ctx: RequestContext, contact: ContactContext, value: T): Promise<T> {
  return (await maySeeContact(ctx, contact)) === true ? value : (redactEmails(value) as T);
}
