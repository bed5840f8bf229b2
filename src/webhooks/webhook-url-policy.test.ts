import { assertDeliverableUrl, isPublicAddress, parseEndpointUrl, UrlRefused } from './webhook-url-policy';

const strict = { allowPrivateNetworks: false, requireHttps: true };
const lenient = { allowPrivateNetworks: true, requireHttps: false };

describe('webhook URL policy (SSRF)', () => {
  it('refuses every internal address, IPv4 and IPv6, whatever its spelling', () => {
    const internal = [
      '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.100.100.200',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.0.192', '198.18.0.1', '240.0.0.1',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '2001::1', '2001:db8::1', '[::1]', 'not-an-address',
    ];
    for (const address of internal) expect([address, isPublicAddress(address)]).toEqual([address, false]);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([address, isPublicAddress(address)]).toEqual([address, true]);
  });

  it('refuses internal literal hosts in decimal, hexadecimal, octal and bracketed forms (URL parsing canonicalises them)', () => {
    for (const url of [
      'https://2130706433/',
      'https://0x7f.1/',
      'https://0x7f000001/',
      'https://017700000001/',
      'https://127.1/',
      'https://[::ffff:127.0.0.1]/',
      'https://[0:0:0:0:0:ffff:7f00:1]/',
      'https://[::1]:8443/hooks',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00:ec2::254]/',
      'https://100.100.100.200/',
    ]) {
      expect(() => parseEndpointUrl(url, strict)).toThrow(UrlRefused);
    }
    expect(parseEndpointUrl('https://93.184.216.34/hooks', strict).hostname).toBe('93.184.216.34');
  });

  it('refuses other schemes, credentials, fragments, plain http where https is required, and junk', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://x/', 'https://user:pass@example.com/', 'https://example.com/#x', 'http://example.com/', 'not a url', '', `https://example.com/${'a'.repeat(2001)}`]) {
      expect(() => parseEndpointUrl(url, strict)).toThrow(UrlRefused);
    }
    expect(parseEndpointUrl('http://example.com/', { allowPrivateNetworks: false, requireHttps: false }).protocol).toBe('http:');
    expect(parseEndpointUrl('http://127.0.0.1:9/', lenient).hostname).toBe('127.0.0.1');
  });

  it('resolves names and refuses one that resolves to an internal address (any of them)', async () => {
    await expect(assertDeliverableUrl('https://localhost/hooks', strict)).rejects.toThrow(/internal address/);
    const resolver = (answers: string[]) => (async () => answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) as never;
    await expect(assertDeliverableUrl('https://rebind.example/', strict, resolver(['93.184.216.34', '10.0.0.8']))).rejects.toThrow(/10\.0\.0\.8/);
    await expect(assertDeliverableUrl('https://mapped.example/', strict, resolver(['::ffff:127.0.0.1']))).rejects.toThrow(UrlRefused);
    await expect(assertDeliverableUrl('https://nothing.example/', strict, resolver([]))).rejects.toThrow(UrlRefused);
    await expect(assertDeliverableUrl('https://public.example/', strict, resolver(['93.184.216.34']))).resolves.toBeInstanceOf(URL);
    const failing = (async () => {
      throw new Error('ENOTFOUND');
    }) as never;
    await expect(assertDeliverableUrl('https://missing.example/', strict, failing)).rejects.toThrow(/does not resolve/);
    await expect(assertDeliverableUrl('http://localhost:1/', lenient)).resolves.toBeInstanceOf(URL);
  });
});
