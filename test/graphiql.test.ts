import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startService, type RunningService } from '../src/core/bootstrap';
import { loadConfig } from '../src/core/config';
import { fromThisMachine } from '../src/core/http/graphiql';
import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';
import { startTestService, type TestService } from './support/test-service';

/**
 * The offline IDE: GraphiQL served by the service itself (no CDN), driven in a real headless Chromium
 * (Debian's `chromium` package; `.ci/run` installs it). Without Chromium this suite fails: it never skips.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

jest.setTimeout(120_000);

// The page's global, for the functions Playwright runs in the browser (tests compile without the DOM library).
declare const document: { querySelector(selector: string): unknown; body: { innerText: string } };

const pageOf = async (base: string, accept = 'text/html,application/xhtml+xml,*/*;q=0.8') => {
  const response = await fetch(`${base}/graphql`, { headers: { accept } });
  return { status: response.status, headers: response.headers, text: await response.text() };
};
/** The header editor's prefilled contents, from the page's settings. */
const prefilledHeaders = (html: string): string => {
  const match = /<script id="graphiql-settings" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('the page carries no GraphiQL settings');
  return (JSON.parse(match[1]) as { headers: string }).headers;
};

describe('GraphiQL in development (development issuer)', () => {
  let database: SuiteDatabase;
  let dataDir: string;
  let userDataDir: string;
  let service: RunningService;
  let browser: BrowserContext | undefined;
  let base: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: run "apt-get install -y chromium" (CI's .ci/run does). This suite needs a real browser.`);
    }
    database = await createSuiteDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-graphiql-'));
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-graphiql-chromium-'));
    // No AUTH_ISSUER: the service trusts the development issuer, whose token the IDE prefills.
    const config = loadConfig({ NODE_ENV: 'development', PORT: '0', DATABASE_URL: database.url, DATA_DIR: dataDir, MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent', OUTBOX_POLL_INTERVAL_MS: '0' });
    service = await startService(config, { dataSource: database.dataSource });
    base = `http://127.0.0.1:${service.port}`;
    browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await database?.drop();
    for (const directory of [dataDir, userDataDir]) if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('loads with no request leaving the service, and runs { viewer { user { id } } } with the prefilled token', async () => {
    const context = browser as BrowserContext;
    const page = await context.newPage();
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${base}/graphql`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });
    // The header editor is open and holds the development token.
    await page.waitForFunction(() => document.body.innerText.includes('"Authorization": "Bearer '), null, { timeout: 30_000 });

    await page.evaluate(() => {
      const editor = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { setValue(text: string): void } };
      editor.CodeMirror.setValue('{ viewer { user { id } } }');
    });
    const sent = page.waitForRequest((request) => request.method() === 'POST' && (request.postData() ?? '').includes('viewer { user { id } }'));
    await page.click('.graphiql-execute-button');
    const authorization = (await sent).headers().authorization;
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const shown = await page.waitForFunction(
      () => {
        const response = document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null;
        const text = response?.CodeMirror.getValue() ?? '';
        return text.includes('"id"') ? text : false;
      },
      null,
      { timeout: 30_000 },
    );
    const result = JSON.parse((await shown.jsonValue()) as string);
    // The same token over plain HTTP names the same user: the IDE ran the query as the developer.
    const direct = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ viewer { isPlatformAdmin user { id email } } }' }),
    });
    const viewer = ((await direct.json()) as { data: { viewer: { isPlatformAdmin: boolean; user: { id: string; email: string } } } }).data.viewer;
    expect(result).toEqual({ data: { viewer: { user: { id: viewer.user.id } } } });
    expect(viewer).toMatchObject({ isPlatformAdmin: true, user: { email: 'developer@example.com' } });

    // Every request the page made went to the service's own origin: nothing from a CDN.
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.filter((url) => new URL(url).origin !== base)).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining([`${base}/graphiql/graphiql.min.js`, `${base}/graphiql/react.production.min.js`, `${base}/graphiql/react-dom.production.min.js`]));
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('serves the page with a policy that allows this origin only, and each file from its npm package', async () => {
    const page = await pageOf(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const [file, type] of [
      ['graphiql.min.js', 'javascript'],
      ['graphiql.min.css', 'text/css'],
      ['react.production.min.js', 'javascript'],
      ['react-dom.production.min.js', 'javascript'],
      ['start.js', 'javascript'],
    ]) {
      const asset = await fetch(`${base}/graphiql/${file}`);
      expect([file, asset.status]).toEqual([file, 200]);
      expect(asset.headers.get('content-type')).toContain(type);
    }
    expect((await fetch(`${base}/graphiql/..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/graphiql/nothing.js`)).status).toBe(404);
  });

  it('gives the development token to browsers on this machine only', async () => {
    expect(prefilledHeaders((await pageOf(base)).text)).toMatch(/^\{\n  "Authorization": "Bearer [\w-]+\.[\w-]+\.[\w-]+"\n\}$/);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.1.2.3']) expect([address, fromThisMachine(address)]).toEqual([address, true]);
    for (const address of ['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '', undefined]) expect([address, fromThisMachine(address)]).toEqual([address, false]);
    // Through another interface of this machine, as a browser elsewhere on the network would come.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
    if (external) {
      const page = await pageOf(`http://${external.address}:${service.port}`);
      expect(page.status).toBe(200);
      expect(prefilledHeaders(page.text)).toBe('');
    }
  });

  it('leaves clients that ask for JSON to the GraphQL endpoint', async () => {
    const json = await pageOf(base, 'application/json');
    expect(json.text).not.toContain('<html');
    const post = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await post.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('GraphiQL with a real identity provider', () => {
  let services: TestService[] = [];
  afterAll(async () => {
    for (const service of services) await service.stop();
    services = [];
  });
  const start = async (environment: Record<string, string>) => {
    const service = await startTestService(environment);
    services.push(service);
    return service.url.replace(/\/graphql$/, '');
  };

  it('outside production: the IDE, with an empty header editor (no development token to give)', async () => {
    const page = await pageOf(await start({}));
    expect(page.status).toBe(200);
    expect(prefilledHeaders(page.text)).toBe('');
    expect(page.text).not.toContain('Bearer');
  });

  it('in production: no IDE and no Apollo landing page (nothing loads from a CDN)', async () => {
    const base = await start({ NODE_ENV: 'production' });
    const page = await pageOf(base);
    expect(page.text).not.toContain('<html');
    expect(page.text).not.toMatch(/apollographql|embeddable-sandbox|cdn\./i);
    expect((await fetch(`${base}/graphiql/graphiql.min.js`)).status).toBe(404);
  });

  it('in production with GRAPHIQL=true: the IDE, never with a token', async () => {
    const page = await pageOf(await start({ NODE_ENV: 'production', GRAPHIQL: 'true' }));
    expect(page.status).toBe(200);
    expect(prefilledHeaders(page.text)).toBe('');
  });

  it('GRAPHIQL=false turns it off in development too', async () => {
    const page = await pageOf(await start({ NODE_ENV: 'development', GRAPHIQL: 'false' }));
    expect(page.text).not.toContain('<html');
  });
});
