import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCompiled } from './support/compiled-build';
import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';

/**
 * The admin CLI as an operator runs it: the compiled build in a child process, against a database of its
 * own (DATABASE_URL), configured only by its environment. Exit codes: 0 ok, 1 the command failed, 2 usage.
 */

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli/cli.js');
const LAUNCHER = path.join(ROOT, 'bin/access-admin.js');
const SYSTEM_ACTOR_NAME = 'Access CLI (system)';

jest.setTimeout(180_000);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let database: SuiteDatabase;
let unmigrated: SuiteDatabase;
let dataDir: string;
let workDir: string;

/** Only what the CLI needs: nothing leaks in from the test runner (NODE_ENV, DATABASE_URL...). */
const environment = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, DATA_DIR: dataDir, ...extra });

function cli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; entry?: string } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [options.entry ?? CLI, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? environment(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const sql = <T = any>(query: string, parameters: unknown[] = []): Promise<T[]> => database.dataSource.query(query, parameters);
const unique = () => Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  database = await createSuiteDatabase();
  unmigrated = await createSuiteDatabase({ migrated: false });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-cli-'));
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-cli-work-'));
  await buildCompiled([CLI]);
}, 600_000);

afterAll(async () => {
  await database?.drop();
  await unmigrated?.drop();
  for (const directory of [dataDir, workDir]) if (directory) fs.rmSync(directory, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help exits 0 and names every command; a command’s --help too', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['organisations', 'owners', 'users', 'members', 'seed', 'token', 'migrate']) expect(help.stdout).toContain(command);
    const token = await cli(['token', '--help']);
    expect(token).toMatchObject({ code: 0, stdout: expect.stringContaining('--platform-admin') });
    expect((await cli(['members', 'import', '--help'])).stdout).toContain('--dry-run');
  });

  it.each([
    [[], 'Usage'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['organisations', 'create', '--name', 'A', '--owner-email', 'a@b.co'], "required option '--slug <slug>' not specified"],
    [['organisations', 'list', '--frobnicate'], "unknown option '--frobnicate'"],
    [['owners', 'appoint', '--organisation', 'x'], "required option '--email <email>' not specified"],
    [['members', 'import', '--organisation', 'x'], "missing required argument 'file'"],
    [['seed'], 'say what to seed: --demo'],
    [['token'], "required option '--email <email>' not specified"],
    [['token', '--email', 'nope'], '--email "nope" is not an email address'],
    [['token', '--email', 'a@b.co', '--expires', 'soon'], '--expires "soon" is not a duration'],
  ])('%j exits 2: %s', async (args, message) => {
    const outcome = await cli(args as string[]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(message);
  });
});

describe('organisations', () => {
  it('create: the organisation, its built-in roles and first Owner, audited as the system actor', async () => {
    const slug = `cli-${unique()}`;
    const created = await cli(['organisations', 'create', '--name', 'Cli Org', '--slug', slug, '--owner-email', `Owner-${slug}@Example.com`, '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const summary = JSON.parse(created.stdout);
    expect(summary).toMatchObject({ slug, name: 'Cli Org', ownerEmail: `owner-${slug}@example.com` });
    const [owner] = await sql(
      `SELECT u.email, m.status, r.built_in_key FROM memberships m JOIN users u ON u.id = m.user_id
       JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id WHERE m.organisation_id = $1`,
      [summary.id],
    );
    expect(owner).toEqual({ email: `owner-${slug}@example.com`, status: 'ACTIVE', built_in_key: 'owner' });
    const [event] = await sql(
      `SELECT e.action, e.request_id, u.display_name, u.issuer, u.email FROM audit_events e JOIN users u ON u.id = e.actor_user_id
       WHERE e.organisation_id = $1 AND e.action = 'organisation.created'`,
      [summary.id],
    );
    expect(event).toMatchObject({ action: 'organisation.created', display_name: SYSTEM_ACTOR_NAME, issuer: 'urn:access-subgraph:system', email: null });
    expect(event.request_id).toMatch(/^cli:organisations-create:/);
  });

  it('create refuses bad data with a clear message, exit 1, and writes nothing', async () => {
    const before = await sql('SELECT count(*)::int AS n FROM organisations');
    const badSlug = await cli(['organisations', 'create', '--name', 'X', '--slug', 'Not A Slug', '--owner-email', 'not-an-email']);
    expect(badSlug).toMatchObject({ code: 1, stderr: 'error: slug must be lowercase letters, digits and single hyphens; ownerEmail must be an email address\n' });
    const slug = `taken-${unique()}`;
    expect((await cli(['organisations', 'create', '--name', 'First', '--slug', slug, '--owner-email', 'a@example.com'])).code).toBe(0);
    const taken = await cli(['organisations', 'create', '--name', 'Second', '--slug', slug, '--owner-email', 'a@example.com']);
    expect(taken).toMatchObject({ code: 1, stderr: `error: The slug "${slug}" is taken (CONFLICT)\n` });
    expect(await sql('SELECT count(*)::int AS n FROM organisations')).toEqual([{ n: before[0].n + 1 }]);
  });

  it('list: every organisation, as lines or JSON', async () => {
    const slug = `listed-${unique()}`;
    await cli(['organisations', 'create', '--name', 'Listed', '--slug', slug, '--owner-email', 'l@example.com']);
    const text = await cli(['organisations', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${slug}\\tListed\\t[0-9a-f-]{36}\\t`, 'm'));
    const json = await cli(['organisations', 'list', '--json']);
    const rows = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const [{ n }] = await sql('SELECT count(*)::int AS n FROM organisations');
    expect(rows).toHaveLength(n);
    expect(rows.map((row) => row.slug)).toContain(slug);
  });
});

describe('owners appoint (break-glass)', () => {
  let slug: string;
  let organisationId: string;
  beforeAll(async () => {
    slug = `glass-${unique()}`;
    organisationId = JSON.parse((await cli(['organisations', 'create', '--name', 'Glass', '--slug', slug, '--owner-email', `first-${slug}@example.com`, '--json'])).stdout).id;
  });

  const ownerRow = async (email: string) =>
    (
      await sql(
        `SELECT m.status, EXISTS (SELECT 1 FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = m.id AND r.built_in_key = 'owner') AS owner
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND lower(u.email) = $2`,
        [organisationId, email],
      )
    )[0];

  it('makes a new person an active Owner (a placeholder user), audited as a platform action', async () => {
    const email = `rescuer-${slug}@example.com`;
    const outcome = await cli(['owners', 'appoint', '--organisation', slug, '--email', email.toUpperCase()]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(`${email} joined ${slug} as an active Owner`);
    expect(await ownerRow(email)).toEqual({ status: 'ACTIVE', owner: true });
    const [event] = await sql(
      `SELECT e.details, u.display_name FROM audit_events e JOIN users u ON u.id = e.actor_user_id WHERE e.organisation_id = $1 AND e.action = 'organisation.owner-appointed'`,
      [organisationId],
    );
    expect(event).toMatchObject({ display_name: SYSTEM_ACTOR_NAME, details: { platformAction: true, userId: expect.any(String), outcome: 'JOINED', previousStatus: null } });
    expect(JSON.stringify(event.details)).not.toContain(email);
  });

  it('promotes and reactivates a deactivated member; a second call changes nothing', async () => {
    const email = `former-${slug}@example.com`;
    await cli(['owners', 'appoint', '--organisation', slug, '--email', email]);
    // The member lost Owner and was deactivated (another Owner remains).
    await sql(`DELETE FROM membership_roles WHERE membership_id = (SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = $1 AND m.organisation_id = $2)`, [email, organisationId]);
    await sql(`UPDATE memberships SET status = 'DEACTIVATED', deactivated_at = now() WHERE organisation_id = $1 AND user_id = (SELECT id FROM users WHERE lower(email) = $2)`, [organisationId, email]);
    const promoted = await cli(['owners', 'appoint', '--organisation', slug, '--email', email]);
    expect(promoted.stdout).toContain(`${email} is now an active Owner of ${slug}`);
    expect(await ownerRow(email)).toEqual({ status: 'ACTIVE', owner: true });
    const again = await cli(['owners', 'appoint', '--organisation', slug, '--email', email]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('was already an active Owner') });
  });

  it('refuses an unknown organisation or a bad email with exit 1, writing nothing', async () => {
    const before = await sql('SELECT count(*)::int AS n FROM audit_events');
    expect(await cli(['owners', 'appoint', '--organisation', 'no-such-organisation', '--email', 'x@example.com'])).toMatchObject({
      code: 1,
      stderr: 'error: no organisation has the slug "no-such-organisation"\n',
    });
    expect(await cli(['owners', 'appoint', '--organisation', slug, '--email', 'not an email'])).toMatchObject({ code: 1, stderr: 'error: "not an email" is not an email address (BAD_USER_INPUT)\n' });
    expect(await sql('SELECT count(*)::int AS n FROM audit_events')).toEqual(before);
  });
});

describe('organisation lifecycle and erasure', () => {
  it('suspend, reactivate and delete by slug, through the lifecycle service, audited as platform actions', async () => {
    const slug = `life-${unique()}`;
    const created = JSON.parse((await cli(['organisations', 'create', '--name', 'Life', '--slug', slug, '--owner-email', `o-${slug}@example.com`, '--json'])).stdout);
    expect(await cli(['organisations', 'suspend', '--organisation', slug])).toMatchObject({ code: 0, stdout: `${slug} is SUSPENDED\n`, stderr: '' });
    expect(await cli(['organisations', 'reactivate', '--organisation', slug])).toMatchObject({ code: 0, stdout: `${slug} is ACTIVE\n` });
    expect(await cli(['organisations', 'delete', '--organisation', slug])).toMatchObject({ code: 0, stdout: `${slug} is DELETED\n` });
    const [row] = await sql('SELECT status, deleted_at FROM organisations WHERE id = $1', [created.id]);
    expect(row.status).toBe('DELETED');
    expect(row.deleted_at).toBeInstanceOf(Date);
    const actions = (await sql("SELECT action FROM audit_events WHERE organisation_id = $1 AND action LIKE 'organisation.%' ORDER BY occurred_at, id", [created.id])).map((event) => event.action);
    expect(actions).toEqual(['organisation.created', 'organisation.suspended', 'organisation.reactivated', 'organisation.deleted']);
    // A move the lifecycle does not allow: exit 1 with the service's reason, nothing written.
    expect(await cli(['organisations', 'suspend', '--organisation', slug])).toMatchObject({ code: 1, stderr: expect.stringContaining('(CONFLICT)') });
    expect(await cli(['organisations', 'suspend', '--organisation', `missing-${unique()}`])).toMatchObject({ code: 1, stderr: expect.stringContaining('no organisation has the slug') });
    expect((await cli(['organisations', 'delete'])).code).toBe(2);
  });

  it('users erase: pseudonymises the person, keeps audit ids; refused for a last Owner; an unknown email is exit 1', async () => {
    const slug = `erase-${unique()}`;
    const owner = `owner-${slug}@example.com`;
    const created = JSON.parse((await cli(['organisations', 'create', '--name', 'Erase', '--slug', slug, '--owner-email', owner, '--json'])).stdout);
    const lastOwner = await cli(['users', 'erase', '--email', owner]);
    expect(lastOwner).toMatchObject({ code: 1, stderr: expect.stringContaining('(CONFLICT)') });
    const second = `second-${slug}@example.com`;
    expect((await cli(['owners', 'appoint', '--organisation', slug, '--email', second])).code).toBe(0);
    const [{ id }] = await sql('SELECT id FROM users WHERE email = $1', [second]);
    expect(await cli(['users', 'erase', '--email', second.toUpperCase()])).toMatchObject({ code: 0, stdout: `erased ${id}\n` });
    const [user] = await sql('SELECT email, display_name FROM users WHERE id = $1', [id]);
    expect(user.email).toBeNull();
    expect(await sql('SELECT 1 FROM memberships WHERE user_id = $1', [id])).toEqual([]);
    // Audit rows keep the ids: the removal in the organisation, and the erasure itself (by the system actor).
    expect(await sql("SELECT action FROM audit_events WHERE organisation_id = $1 AND action = 'member.removed' AND details->>'userId' = $2", [created.id, id])).toHaveLength(1);
    const [erased] = await sql("SELECT u.display_name FROM audit_events e JOIN users u ON u.id = e.actor_user_id WHERE e.action = 'user.erased' AND e.target_id = $1", [id]);
    expect(erased).toEqual({ display_name: SYSTEM_ACTOR_NAME });
    expect(await cli(['users', 'erase', '--email', `nobody-${slug}@example.com`])).toMatchObject({ code: 1, stderr: expect.stringContaining('no user has the email') });
  });
});

describe('members import', () => {
  let slug: string;
  let organisationId: string;
  const csvFile = (name: string, text: string) => {
    const file = path.join(workDir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const members = async () => (await sql('SELECT count(*)::int AS n FROM memberships WHERE organisation_id = $1', [organisationId]))[0].n;

  beforeAll(async () => {
    slug = `import-${unique()}`;
    organisationId = JSON.parse((await cli(['organisations', 'create', '--name', 'Import', '--slug', slug, '--owner-email', `owner-${slug}@example.com`, '--json'])).stdout).id;
  });

  it('--dry-run prints the per-row report and writes nothing; the real run imports, audited', async () => {
    const file = csvFile('good.csv', `email,name,initial_roles,teams\nann-${slug}@example.com,Ann,"Admin,Viewer",\nbob-${slug}@example.com,"Doe, Bob",,\n`);
    const dry = await cli(['members', 'import', file, '--organisation', slug, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(`line 2\tann-${slug}@example.com\tCREATED\nline 3\tbob-${slug}@example.com\tCREATED\ndry run, nothing written: would create 2, update 0, unchanged 0\n`);
    expect(await members()).toBe(1);
    const real = await cli(['members', 'import', file, '--organisation', slug, '--json']);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, failed: false, created: 2, updated: 0, rows: [{ line: 2, status: 'CREATED' }, { line: 3, status: 'CREATED' }] });
    expect(await members()).toBe(3);
    expect(await sql(`SELECT count(*)::int AS n FROM audit_events WHERE organisation_id = $1 AND action = 'member.imported' AND request_id LIKE 'cli:members-import:%'`, [organisationId])).toEqual([{ n: 2 }]);
    const again = await cli(['members', 'import', file, '--organisation', slug]);
    expect(again.stdout).toContain('created 0, updated 0, unchanged 2');
  });

  it('bad rows: exit 1, every bad row reported, nothing written', async () => {
    const file = csvFile('bad.csv', `email,name,initial_roles\ncat-${slug}@example.com,Cat,Member\nnot-an-email,Dan,Member\neve-${slug}@example.com,Eve,Nope\ncat-${slug}@example.com,Cat again,Member\n`);
    const outcome = await cli(['members', 'import', file, '--organisation', slug]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe(
      [
        `line 2\tcat-${slug}@example.com\tSKIPPED`,
        'line 3\tnot-an-email\tERROR\t"not-an-email" is not an email address',
        `line 4\teve-${slug}@example.com\tERROR\tUnknown role "Nope"`,
        `line 5\tcat-${slug}@example.com\tERROR\tcat-${slug}@example.com is already on line 2`,
        'nothing was imported; 3 row(s) with errors',
        '',
      ].join('\n'),
    );
    expect(outcome.stderr).toBe('error: nothing imported: 3 row(s) have errors (see the report)\n');
    expect(await members()).toBe(3);
  });

  it('a file that cannot be read, a wrong header, an unknown organisation: exit 1 with the reason', async () => {
    expect(await cli(['members', 'import', path.join(workDir, 'missing.csv'), '--organisation', slug])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') });
    const header = await cli(['members', 'import', csvFile('header.csv', 'mail,name\nx@example.com,X\n'), '--organisation', slug]);
    expect(header).toMatchObject({ code: 1, stderr: expect.stringContaining('The first line must be the header email,name,initial_roles[,teams]') });
    const nowhere = await cli(['members', 'import', csvFile('ok.csv', 'email,name,initial_roles\nz@example.com,Z,Member\n'), '--organisation', 'nowhere-at-all']);
    expect(nowhere).toMatchObject({ code: 1, stderr: 'error: no organisation has the slug "nowhere-at-all"\n' });
    expect(await members()).toBe(3);
  });

  it('a file larger than one API import: checked whole, then imported in batches, with a progress bar', async () => {
    const count = 5_001; // MAX_CSV_ROWS + 1: two batches
    const rows = Array.from({ length: count }, (_, index) => `bulk-${index}-${slug}@example.com,Bulk ${index},Member`);
    const file = csvFile('large.csv', `email,name,initial_roles\n${rows.join('\n')}\n`);
    const outcome = await cli(['members', 'import', file, '--organisation', slug, '--progress']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim().split('\n').at(-1)).toBe(`created ${count}, updated 0, unchanged 0`);
    expect(outcome.stderr).toMatch(/checking \|[█░]+\| 5001\/5001 rows \(100%\)/);
    expect(outcome.stderr).toMatch(/importing \|[█░]+\| 5001\/5001 rows \(100%\)/);
    expect(await members()).toBe(3 + count);
  });
});

describe('seed --demo', () => {
  it('builds the demo organisation through the services (members in every status, teams, invitations, audit history); a second run is refused', async () => {
    const seeded = await cli(['seed', '--demo', '--slug', 'demo-cli']);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/^created demo-cli \([0-9a-f-]{36}\): "Northwind Labs \(demo\)", 24 members, 5 teams, 3 custom roles, 3 invitations, \d+ audit events/);
    const [{ id }] = await sql(`SELECT id FROM organisations WHERE slug = 'demo-cli'`);
    expect(await sql('SELECT status, count(*)::int AS n FROM memberships WHERE organisation_id = $1 GROUP BY status ORDER BY status', [id])).toEqual([
      { status: 'ACTIVE', n: 22 },
      { status: 'DEACTIVATED', n: 1 },
      { status: 'PENDING_APPROVAL', n: 1 },
    ]);
    expect(await sql('SELECT status, count(*)::int AS n FROM invitations WHERE organisation_id = $1 GROUP BY status ORDER BY status', [id])).toEqual([
      { status: 'CANCELLED', n: 1 },
      { status: 'PENDING', n: 2 },
    ]);
    expect(await sql(`SELECT count(*)::int AS n FROM team_members WHERE organisation_id = $1 AND role = 'MANAGER'`, [id])).toEqual([{ n: 3 }]);
    const actions: { action: string }[] = await sql('SELECT DISTINCT action FROM audit_events WHERE organisation_id = $1 ORDER BY action', [id]);
    expect(actions.map((row) => row.action)).toEqual(
      expect.arrayContaining(['organisation.created', 'role.created', 'team.created', 'member.imported', 'member.deactivated', 'invitation.created', 'invitation.cancelled']),
    );
    // The development user owns it and has signed in (the IDE's token names them); some people signed in long ago.
    expect(await sql(`SELECT u.issuer FROM users u WHERE u.email = 'developer@example.com'`)).toEqual([{ issuer: 'urn:access-subgraph:dev-issuer' }]);
    const [{ stale }] = await sql(`SELECT count(*)::int AS stale FROM users WHERE email LIKE '%@northwind.example' AND last_sign_in_at < now() - interval '90 days'`);
    expect(stale).toBeGreaterThan(0);

    const again = await cli(['seed', '--demo', '--slug', 'demo-cli']);
    expect(again).toMatchObject({ code: 1, stderr: 'error: The slug "demo-cli" is taken (CONFLICT)\n' });
  });
});

describe('token', () => {
  it('prints a development token; refuses when AUTH_ISSUER is set', async () => {
    const token = await cli(['token', '--email', 'dev@example.com', '--platform-admin']);
    expect(token.code).toBe(0);
    const [, payload] = token.stdout.trim().split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ email: 'dev@example.com', sub: 'dev|dev@example.com', roles: ['platform-admin'] });
    const refused = await cli(['token', '--email', 'dev@example.com'], { env: environment({ AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'x' }) });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('AUTH_ISSUER is set') });
  });
});

describe('migrate, and the database', () => {
  it('applies pending migrations once; other commands refuse a database with pending migrations', async () => {
    const env = environment({ DATABASE_URL: unmigrated.url });
    expect(await cli(['organisations', 'list'], { env })).toMatchObject({ code: 1, stderr: 'error: the database has pending migrations: run the "migrate" command first\n' });
    const applied = await cli(['migrate'], { env });
    expect(applied).toMatchObject({ code: 0, stdout: expect.stringMatching(/^applied: InitialModel/) });
    expect(await cli(['migrate'], { env })).toMatchObject({ code: 0, stdout: 'nothing to apply\n' });
    expect((await cli(['organisations', 'list'], { env })).code).toBe(0);
  });

  it('an unreachable database or a bad variable: exit 1, saying so', async () => {
    const unreachable = await cli(['organisations', 'list'], { env: environment({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }) });
    expect(unreachable).toMatchObject({ code: 1, stderr: expect.stringContaining('error: cannot reach the database') });
    const invalid = await cli(['organisations', 'list'], { env: environment({ DATABASE_URL: 'mysql://x' }) });
    expect(invalid).toMatchObject({ code: 1, stderr: expect.stringContaining('DATABASE_URL: must be a postgres:// or postgresql:// URL') });
  });

  it('reads .env from the working directory; the environment wins over it', async () => {
    const directory = fs.mkdtempSync(path.join(workDir, 'dotenv-'));
    fs.writeFileSync(path.join(directory, '.env'), `# as in .env.example\nDATABASE_URL=${database.url}\nDATA_DIR=${dataDir}\n`);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    expect((await cli(['organisations', 'list', '--json'], { env, cwd: directory })).code).toBe(0);
    const overridden = await cli(['organisations', 'list'], { env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }, cwd: directory });
    expect(overridden.code).toBe(1);
  });
});

describe('the launcher (npm run cli, the access-admin bin)', () => {
  it('runs the compiled CLI without building when nothing changed since its last build', async () => {
    // Mark the build just made as the launcher's own, as if it had made it.
    const stamp = path.join(ROOT, 'dist', '.cli-build-stamp');
    fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
    const outcome = await cli(['token', '--help'], { entry: LAUNCHER });
    expect(outcome).toMatchObject({ code: 0, stdout: expect.stringContaining('--email <email>') });
    expect(outcome.stderr).not.toContain('building');
  });
});
