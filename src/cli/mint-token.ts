import { parseArgs } from 'node:util';
import { DevIssuer } from '../core/auth/dev-issuer';
import { ConfigError, loadConfig } from '../core/config';

const USAGE = 'usage: npm run token -- --email a@b.c [--name "Ada"] [--platform-admin] [--mfa] [--subject id] [--expires 12h]';

/** Prints a token signed by the development issuer (only when no AUTH_ISSUER is configured). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      subject: { type: 'string' },
      expires: { type: 'string', default: '12h' },
      'platform-admin': { type: 'boolean', default: false },
      mfa: { type: 'boolean', default: false },
    },
  });
  if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) throw new ConfigError(USAGE);
  const config = loadConfig();
  if (!config.devIssuer) throw new ConfigError('AUTH_ISSUER is set: tokens come from that issuer, not from this command');
  const issuer = await DevIssuer.open(config.dataDir);
  const email = values.email.toLowerCase();
  const token = await issuer.mint({
    // The subject is stable per email so the same person gets the same user across tokens.
    subject: values.subject ?? `dev|${email}`,
    email,
    name: values.name,
    platformAdmin: values['platform-admin'],
    claimName: config.PLATFORM_ADMIN_CLAIM,
    role: config.PLATFORM_ADMIN_ROLE,
    audience: config.AUTH_AUDIENCE,
    expiresIn: values.expires,
    amr: values.mfa ? ['pwd', 'mfa'] : ['pwd'],
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
