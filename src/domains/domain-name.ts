import { domainToASCII } from 'node:url';

/** A normalised domain name, or why the input is not one. */
export type DomainName = { ok: true; domain: string } | { ok: false; reason: string };

const MAX_INPUT_LENGTH = 1000;
// Characters a URL host parser would decode or cut at (`ex%41mple.com` → `example.com`, `a@b.com`, `b.com:80`),
// spaces and controls: refused before parsing, so what is stored is what was asked for.
const FORBIDDEN = /[\s\p{Cc}%/\\@:[\]?#*,;"'<>^`{|}]/u;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// A top-level domain is letters, or an internationalised one in its ASCII form (`xn--p1ai` for .рф).
const TOP_LEVEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The one normal form of a domain name: lower case, without the root's trailing dot, an
 * internationalised name in its ASCII (punycode, IDNA) form. `Bücher.DE.` becomes `xn--bcher-kva.de`.
 * At least two labels; labels of letters, digits and inner hyphens, at most 63 characters; at most
 * 253 in all. IP addresses, wildcards, ports, paths and invalid punycode are refused.
 */
export function normaliseDomain(input: string): DomainName {
  if (input.length > MAX_INPUT_LENGTH) return { ok: false, reason: 'is too long' };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'is empty' };
  if (FORBIDDEN.test(trimmed)) return { ok: false, reason: 'holds a character a domain name cannot have' };
  const absolute = trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
  const ascii = domainToASCII(absolute);
  if (ascii === '') return { ok: false, reason: 'is not a valid (internationalised) domain name' };
  if (ascii.length > 253) return { ok: false, reason: 'is longer than 253 characters' };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, reason: 'needs at least two labels (e.g. example.com)' };
  if (!labels.every((label) => LABEL.test(label))) {
    return { ok: false, reason: 'has an empty label, a label over 63 characters, or a character other than letters, digits and inner hyphens' };
  }
  if (!TOP_LEVEL.test(labels[labels.length - 1])) return { ok: false, reason: 'does not end in a top-level domain' };
  return { ok: true, domain: ascii };
}

/** The normalised domain of an email address, or null when it has none. */
export function domainOfEmail(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 0) return null;
  const result = normaliseDomain(email.slice(at + 1));
  return result.ok ? result.domain : null;
}
