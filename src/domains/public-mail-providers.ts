import providers from 'email-providers/all.json';

/**
 * Public mail providers (anyone can get an address there): never an organisation's domain. The list is
 * the `email-providers` package (about 8,800 domains, refreshed monthly upstream), plus providers it
 * lacks, checked by hand when this was written.
 */
const MISSING_FROM_PACKAGE = [
  'fastmail.com',
  'tutanota.com',
  'tuta.io',
  'tuta.com',
  'posteo.de',
  'zohomail.com',
  'duck.com',
  'passmail.net',
  'simplelogin.com',
  'anonaddy.me',
  'users.noreply.github.com',
];

const PUBLIC_PROVIDERS: ReadonlySet<string> = new Set([...(providers as string[]), ...MISSING_FROM_PACKAGE]);

/**
 * True for a public provider's domain (normalised). An exact match suffices: auto-join compares an
 * email's whole domain, and only the provider can publish records under its subdomains.
 */
export function isPublicMailProvider(domain: string): boolean {
  return PUBLIC_PROVIDERS.has(domain);
}
