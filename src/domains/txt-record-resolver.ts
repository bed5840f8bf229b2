import { promises as dns } from 'node:dns';
import { AppError, ErrorCode } from '../core/errors';
import { logger } from '../core/logger';

export interface TxtResolverOptions {
  /** `host:port` servers; undefined: the system's resolver configuration. */
  servers?: string[];
  /** First attempt's timeout; c-ares doubles it on each retry. */
  timeoutMs: number;
  /** Attempts per server. */
  tries: number;
}

// The name has no TXT record, or does not exist: an answer, not a fault.
const NO_RECORD: ReadonlySet<string> = new Set<string>([dns.NODATA, dns.NOTFOUND]);

/**
 * Looks TXT records up now, through DNS_SERVERS or the system resolver, with a bounded timeout and
 * retry count: a dead or unreachable DNS server gives SERVICE_UNAVAILABLE within a few seconds.
 */
export class TxtRecordResolver {
  constructor(private readonly options: TxtResolverOptions) {}

  /** The TXT values at `name` (a record's strings joined), [] when it has none. */
  async lookup(name: string): Promise<string[]> {
    // One resolver per lookup: setServers and cancel act on a resolver, never on other requests' lookups.
    const resolver = new dns.Resolver({ timeout: this.options.timeoutMs, tries: this.options.tries });
    if (this.options.servers) resolver.setServers(this.options.servers);
    try {
      const records = await resolver.resolveTxt(name);
      return records.map((chunks) => chunks.join(''));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && NO_RECORD.has(code)) return [];
      logger.warn({ err: error, name }, 'DNS lookup failed');
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, `The DNS lookup of ${name} failed (${code ?? 'unknown error'}): DNS could not be reached or did not answer; try again later`, {
        dnsError: code ?? null,
      });
    }
  }
}
