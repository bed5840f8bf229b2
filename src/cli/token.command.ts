import type { Command } from 'commander';
import { CliFailure, UsageError } from './cli-errors';

// The same shape test as before the CLI (this command stays light: no validator library loaded for it).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface TokenOptions {
  email: string;
  name?: string;
  subject?: string;
  expires: string;
  platformAdmin?: boolean;
  mfa?: boolean;
}

/** `token`: a token of the development issuer (only when no AUTH_ISSUER is configured); the same email is the same user. */
export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a development token (trusted when AUTH_ISSUER is unset, never in production)')
    .requiredOption('--email <email>', "the person's email")
    .option('--name <name>', 'display name (default: the email)')
    .option('--subject <id>', 'token subject (default: stable per email)')
    .option('--expires <duration>', 'lifetime, e.g. 30m, 12h, 7d', '12h')
    .option('--platform-admin', 'holds the platform administrator role (PLATFORM_ADMIN_CLAIM / PLATFORM_ADMIN_ROLE)')
    .option('--mfa', 'signed in with a second factor (amr: pwd, mfa)')
    .action(async (options: TokenOptions) => {
      if (!EMAIL.test(options.email)) throw new UsageError(`--email "${options.email}" is not an email address`);
      if (!/^\d+\s*[smhdw]$/.test(options.expires)) throw new UsageError(`--expires "${options.expires}" is not a duration like 30m, 12h or 7d`);
      const [{ DevIssuer, developmentSubject }, { loadConfig }] = await Promise.all([import('../core/auth/dev-issuer'), import('../core/config')]);
      const config = loadConfig();
      if (!config.devIssuer) throw new CliFailure('AUTH_ISSUER is set: tokens come from that issuer, not from this command');
      const issuer = await DevIssuer.open(config.dataDir);
      const email = options.email.toLowerCase();
      const token = await issuer.mint({
        subject: options.subject ?? developmentSubject(email),
        email,
        name: options.name,
        platformAdmin: options.platformAdmin === true,
        claimName: config.PLATFORM_ADMIN_CLAIM,
        role: config.PLATFORM_ADMIN_ROLE,
        audience: config.AUTH_AUDIENCE,
        expiresIn: options.expires,
        amr: options.mfa ? ['pwd', 'mfa'] : ['pwd'],
      });
      process.stdout.write(`${token}\n`);
    });
}
