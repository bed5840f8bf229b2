import { ConfigError, loadConfig } from '../src/core/config';
import { startTestService, type TestService } from './support/test-service';

/** CORS_ORIGINS: dashboards on another origin may call the API; no other origin may. */

const DASHBOARD = 'http://localhost:3000';

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });

const post = (url: string, origin: string) =>
  fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });

describe('CORS_ORIGINS', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ CORS_ORIGINS: `${DASHBOARD}, https://dashboard.example.com` });
  });
  afterAll(() => service.stop());

  it('allows a preflight from a listed origin: the methods and the headers a dashboard sends', async () => {
    const response = await preflight(service.url, DASHBOARD);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('answers the listed origin’s request with its origin, and exposes the request id', async () => {
    const response = await post(service.url, 'https://dashboard.example.com');
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.com');
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it('refuses a preflight from any other origin (403, no CORS header), and gives its requests no CORS header', async () => {
    for (const origin of ['http://localhost:3001', 'https://evil.example', 'null', 'http://localhost:3000.evil.example']) {
      const refused = await preflight(service.url, origin);
      expect([origin, refused.status]).toEqual([origin, 403]);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(await refused.json()).toEqual({ errors: [{ message: 'This origin may not call the API (CORS_ORIGINS)', extensions: { code: 'FORBIDDEN' } }] });
      const request = await post(service.url, origin);
      expect(request.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('leaves requests without an Origin (servers, the gateway) as they were', async () => {
    const response = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('without CORS_ORIGINS', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('refuses every cross-origin preflight, the dashboard’s too', async () => {
    const response = await preflight(service.url, DASHBOARD);
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS validation', () => {
  it('reads a comma-separated list; unset is none', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'http://localhost:3000, https://a.example.com:8443' }).CORS_ORIGINS).toEqual(['http://localhost:3000', 'https://a.example.com:8443']);
  });

  it.each(['*', 'localhost:3000', 'http://localhost:3000/', 'https://a.example.com/app', 'ftp://a.example.com', 'http://LOCALHOST:3000'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS: ".*" is not an origin/);
  });

  it('GRAPHIQL is a boolean, on by default outside production only', () => {
    expect(loadConfig({}).graphiql).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).graphiql).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'a' }).graphiql).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'a', GRAPHIQL: 'true' }).graphiql).toBe(true);
    expect(() => loadConfig({ GRAPHIQL: 'maybe' })).toThrow(/GRAPHIQL/);
  });
});
