import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Where webhooks may go. */
export interface UrlPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: loopback, private and other internal addresses allowed (tests, development). */
  allowPrivateNetworks: boolean;
  /** Plain http refused (production, unless private networks are allowed). */
  requireHttps: boolean;
}

/** Why an endpoint URL is refused (shown to the caller). */
export class UrlRefused extends Error {}

const MAX_URL_LENGTH = 2000;
const DNS_TIMEOUT_MS = 5000;

/**
 * True for an address on the public internet: ipaddr.js's `unicast` range, i.e. none of loopback,
 * private (RFC 1918), unique-local, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT
 * (Alibaba's 100.100.100.200), multicast, broadcast, unspecified, reserved and documentation ranges,
 * nor IPv6 forms that embed an IPv4 address (6to4, Teredo, NAT64), which are judged unsafe outright.
 * An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it maps.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/**
 * Parses and checks an endpoint URL without resolving it: http(s) only (https where required), no
 * credentials, no fragment, and an IP-literal host (in any spelling: WHATWG URL parsing turns
 * `2130706433`, `0x7f.1` and `[::ffff:7f00:1]` into their canonical form) must be public.
 */
export function parseEndpointUrl(raw: string, policy: UrlPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) throw new UrlRefused(`The URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UrlRefused('Not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlRefused('Only http and https URLs can receive webhooks');
  if (url.protocol === 'http:' && policy.requireHttps) throw new UrlRefused('Webhook URLs must use https');
  if (url.username || url.password) throw new UrlRefused('Put credentials in the URL path or query, not in user:password@');
  if (url.hash) throw new UrlRefused('A webhook URL has no #fragment');
  if (!url.hostname) throw new UrlRefused('The URL has no host');
  const host = hostOf(url);
  if (net.isIP(host) && !policy.allowPrivateNetworks && !isPublicAddress(host)) throw new UrlRefused(refusal(host));
  return url;
}

/**
 * Parses the URL and, unless private networks are allowed, resolves its host and refuses it when any
 * address it resolves to is not public (a name that resolves to 127.0.0.1 is loopback all the same).
 */
export async function assertDeliverableUrl(raw: string, policy: UrlPolicy, resolve: typeof dns.promises.lookup = dns.promises.lookup): Promise<URL> {
  const url = parseEndpointUrl(raw, policy);
  const host = hostOf(url);
  if (policy.allowPrivateNetworks || net.isIP(host)) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout(resolve(host, { all: true, verbatim: true }), DNS_TIMEOUT_MS);
  } catch {
    throw new UrlRefused(`The host ${host} does not resolve`);
  }
  const internal = addresses.find((entry) => !isPublicAddress(entry.address));
  if (addresses.length === 0 || internal) throw new UrlRefused(refusal(internal?.address ?? host));
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the host and answers only public addresses, so the
 * connection goes to the very address that was checked (a DNS answer that changes between a check
 * and the connection, "DNS rebinding", cannot reach an internal address).
 */
export function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const internal = policy.allowPrivateNetworks ? undefined : list.find((entry) => !isPublicAddress(entry.address));
      if (internal || list.length === 0) {
        return callback(Object.assign(new Error(refusal(internal?.address ?? hostname)), { code: 'EWEBHOOKADDRESS' }), []);
      }
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** The host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function refusal(address: string): string {
  return `The URL resolves to ${address}, an internal address (loopback, private, link-local or reserved); webhooks go to public addresses only`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]);
}
