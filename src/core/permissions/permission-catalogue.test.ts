import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILT_IN_PERMISSIONS, TEAM_MANAGER_PERMISSIONS, type PermissionDefinition } from './built-in-permissions';
import { CatalogueError, PermissionCatalogue, loadPermissionCatalogue, parseExtensionPermissions } from './permission-catalogue';

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

/** Runs `fn`, expects it to throw a CatalogueError, and returns its message. */
function catalogueErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogueError);
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('expected a CatalogueError, nothing was thrown');
}

describe('built-in permissions (DESIGN.md §3)', () => {
  it('declares exactly the catalogue of the spec with its implications', () => {
    const spec: Record<string, string[]> = {
      'org:read': [],
      'org:update': ['org:read'],
      'members:read': [],
      'members:read-contact': ['members:read'],
      'members:invite': ['members:read', 'invitations:read'],
      'members:manage': ['members:read'],
      'members:assign-roles': ['members:read', 'roles:read'],
      'invitations:read': [],
      'invitations:manage': ['invitations:read'],
      'teams:read': [],
      'teams:create': ['teams:read'],
      'teams:update': ['teams:read'],
      'teams:delete': ['teams:read'],
      'teams:manage-members': ['teams:read', 'members:read'],
      'roles:read': [],
      'roles:manage': ['roles:read'],
      'audit:read': [],
      // Issue 10: the event feed and webhooks.
      'events:read': [],
      'webhooks:manage': ['events:read'],
      'access:review': ['members:read', 'roles:read', 'teams:read'],
    };
    const actual = Object.fromEntries(BUILT_IN_PERMISSIONS.map((definition) => [definition.key, sorted(definition.implies)]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(spec).map(([key, implies]) => [key, sorted(implies)])));
    for (const definition of BUILT_IN_PERMISSIONS) expect(definition.description.length).toBeGreaterThan(0);
  });

  it('has the team-manager permissions of the spec, all in the catalogue', () => {
    expect(sorted(TEAM_MANAGER_PERMISSIONS)).toEqual(sorted(['teams:read', 'teams:update', 'teams:manage-members', 'members:read']));
    const catalogue = new PermissionCatalogue(BUILT_IN_PERMISSIONS);
    for (const key of TEAM_MANAGER_PERMISSIONS) expect(catalogue.has(key)).toBe(true);
  });
});

describe('PermissionCatalogue', () => {
  const catalogue = loadPermissionCatalogue();

  it('without a file is the built-in catalogue and has no extensions', () => {
    expect(sorted(catalogue.keys)).toEqual(sorted(BUILT_IN_PERMISSIONS.map((definition) => definition.key)));
    expect(catalogue.extensionKeys).toEqual([]);
    expect(catalogue.definitions).toHaveLength(BUILT_IN_PERMISSIONS.length);
    expect(catalogue.has('members:read')).toBe(true);
    expect(catalogue.has('apikeys:manage')).toBe(false);
  });

  it.each<[string, string[]]>([
    ['members:invite', ['members:invite', 'members:read', 'invitations:read']],
    ['access:review', ['access:review', 'members:read', 'roles:read', 'teams:read']],
    ['roles:manage', ['roles:manage', 'roles:read']],
    ['teams:manage-members', ['teams:manage-members', 'teams:read', 'members:read']],
    ['members:assign-roles', ['members:assign-roles', 'members:read', 'roles:read']],
    ['org:update', ['org:update', 'org:read']],
    ['audit:read', ['audit:read']],
  ])('impliedBy(%s) is the key and everything it implies', (key, expected) => {
    expect(sorted(catalogue.impliedBy(key))).toEqual(sorted(expected));
  });

  it('impliedBy of an unknown key is empty', () => {
    expect(catalogue.impliedBy('nope:nope')).toEqual([]);
  });

  it('close() unions the closures of every key', () => {
    expect(sorted(catalogue.close(['members:invite', 'access:review']))).toEqual(
      sorted(['members:invite', 'members:read', 'invitations:read', 'access:review', 'roles:read', 'teams:read']),
    );
    expect(sorted(catalogue.close(new Set(['invitations:manage', 'teams:delete'])))).toEqual(
      sorted(['invitations:manage', 'invitations:read', 'teams:delete', 'teams:read']),
    );
    expect(catalogue.close([]).size).toBe(0);
  });

  it('close() drops unknown keys (fail closed)', () => {
    expect(sorted(catalogue.close(['apikeys:manage', 'org:update', 'ORG:READ', '', 'org']))).toEqual(sorted(['org:update', 'org:read']));
    expect(catalogue.close(['unknown:key']).size).toBe(0);
  });

  it('close() is idempotent and the full catalogue is closed', () => {
    const once = catalogue.close(['members:invite', 'roles:manage']);
    expect(sorted(catalogue.close(once))).toEqual(sorted(once));
    expect(sorted(catalogue.close(catalogue.keys))).toEqual(sorted(catalogue.keys));
  });

  it('follows implications transitively', () => {
    const chain = new PermissionCatalogue([
      { key: 'a:one', description: '', implies: ['a:two'] },
      { key: 'a:two', description: '', implies: ['a:three'] },
      { key: 'a:three', description: '', implies: [] },
      { key: 'b:one', description: '', implies: ['a:two', 'a:three'] },
    ]);
    expect(sorted(chain.impliedBy('a:one'))).toEqual(['a:one', 'a:three', 'a:two']);
    expect(sorted(chain.close(['b:one']))).toEqual(['a:three', 'a:two', 'b:one']);
  });

  it('accepts a diamond (shared implications are not a cycle)', () => {
    const diamond = new PermissionCatalogue([
      { key: 'x:top', description: '', implies: ['x:left', 'x:right'] },
      { key: 'x:left', description: '', implies: ['x:bottom'] },
      { key: 'x:right', description: '', implies: ['x:bottom'] },
      { key: 'x:bottom', description: '', implies: [] },
    ]);
    expect(sorted(diamond.impliedBy('x:top'))).toEqual(['x:bottom', 'x:left', 'x:right', 'x:top']);
  });

  it('refuses an implied key that is not declared', () => {
    const message = catalogueErrorOf(() => new PermissionCatalogue([{ key: 'a:b', description: '', implies: ['c:d'] }]));
    expect(message).toContain('"a:b"');
    expect(message).toContain('"c:d"');
    expect(message).toMatch(/unknown/i);
  });

  it('refuses a cycle and names it', () => {
    const message = catalogueErrorOf(
      () =>
        new PermissionCatalogue([
          { key: 'c:one', description: '', implies: ['c:two'] },
          { key: 'c:two', description: '', implies: ['c:three'] },
          { key: 'c:three', description: '', implies: ['c:one'] },
        ]),
    );
    expect(message).toMatch(/cycle/i);
    expect(message).toContain('c:one → c:two → c:three → c:one');
  });

  it('refuses a permission implying itself', () => {
    const message = catalogueErrorOf(() => new PermissionCatalogue([{ key: 's:self', description: '', implies: ['s:self'] }]));
    expect(message).toMatch(/cycle/i);
    expect(message).toContain('s:self → s:self');
  });

  it.each(['Apikeys:manage', 'apikeys', 'apikeys:', ':manage', 'api keys:manage', 'apikeys:Manage', '1apikeys:manage', 'apikeys::manage', ''])(
    'refuses the badly formed key %j',
    (key) => {
      const message = catalogueErrorOf(() => new PermissionCatalogue([{ key, description: '', implies: [] }]));
      expect(message).toContain(`"${key}"`);
      expect(message).toMatch(/key/i);
    },
  );

  it.each(['apikeys:manage', 'api-keys:read-all', 'a:b:c', 'budgets2:read'])('accepts the well formed key %j', (key) => {
    expect(new PermissionCatalogue([{ key, description: '', implies: [] }]).has(key)).toBe(true);
  });

  it('refuses a duplicate key', () => {
    const message = catalogueErrorOf(
      () =>
        new PermissionCatalogue([
          { key: 'd:one', description: 'first', implies: [] },
          { key: 'd:one', description: 'second', implies: [] },
        ]),
    );
    expect(message).toContain('"d:one"');
    expect(message).toMatch(/twice|duplicate/i);
  });
});

describe('parseExtensionPermissions', () => {
  it('parses a JSON list', () => {
    const text = JSON.stringify([
      { key: 'apikeys:read', description: 'List API keys', implies: [] },
      { key: 'apikeys:manage', description: 'Manage API keys', implies: ['apikeys:read'] },
    ]);
    expect(parseExtensionPermissions(text, 'perms.json')).toEqual<PermissionDefinition[]>([
      { key: 'apikeys:read', description: 'List API keys', implies: [] },
      { key: 'apikeys:manage', description: 'Manage API keys', implies: ['apikeys:read'] },
    ]);
  });

  it('parses a JSON object with a permissions list, defaulting description and implies', () => {
    const text = JSON.stringify({ permissions: [{ key: 'budgets:read' }] });
    expect(parseExtensionPermissions(text, '/etc/perms.json')).toEqual([{ key: 'budgets:read', description: '', implies: [] }]);
  });

  it('parses a YAML list', () => {
    const text = ['- key: apikeys:read', '  description: List API keys', '- key: apikeys:manage', '  implies: [apikeys:read]', ''].join('\n');
    expect(parseExtensionPermissions(text, 'perms.yaml')).toEqual([
      { key: 'apikeys:read', description: 'List API keys', implies: [] },
      { key: 'apikeys:manage', description: '', implies: ['apikeys:read'] },
    ]);
  });

  it('parses a YAML object with a permissions list (.yml)', () => {
    const text = ['permissions:', '  - key: usage:read', '    description: Read usage', '    implies:', '      - org:read', ''].join('\n');
    expect(parseExtensionPermissions(text, 'perms.yml')).toEqual([{ key: 'usage:read', description: 'Read usage', implies: ['org:read'] }]);
  });

  it('refuses malformed JSON, naming the source', () => {
    const message = catalogueErrorOf(() => parseExtensionPermissions('[{"key": "a:b",', 'broken.json'));
    expect(message).toContain('broken.json');
    expect(message).toMatch(/not valid JSON/);
  });

  it('refuses malformed YAML, naming the source', () => {
    const message = catalogueErrorOf(() => parseExtensionPermissions('- key: a:b\n  implies: [unclosed\n', 'broken.yaml'));
    expect(message).toContain('broken.yaml');
    expect(message).toMatch(/not valid YAML/);
  });

  it.each<[string, string]>([
    ['{"something": 1}', 'x.json'],
    ['42', 'x.json'],
    ['null', 'x.json'],
    ['', 'x.yaml'],
    ['just a string', 'x.yaml'],
  ])('refuses %j (%s) which is not a list of permissions', (text, source) => {
    expect(catalogueErrorOf(() => parseExtensionPermissions(text, source))).toMatch(/expected a list of permissions/);
  });

  it('refuses an entry without a key, giving its position', () => {
    const message = catalogueErrorOf(() => parseExtensionPermissions(JSON.stringify([{ key: 'a:b' }, { description: 'no key' }]), 'x.json'));
    expect(message).toContain('entry 2');
    expect(message).toContain('"key"');
  });

  it.each([[{ key: 'a:b', implies: 'c:d' }], [{ key: 'a:b', implies: [1] }]])('refuses implies that is not a list of keys: %j', (entry) => {
    const message = catalogueErrorOf(() => parseExtensionPermissions(JSON.stringify([entry]), 'x.json'));
    expect(message).toContain('"a:b"');
    expect(message).toContain('implies');
  });
});

describe('loadPermissionCatalogue(file)', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'permission-catalogue-test-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, 'utf8');
    return file;
  };

  it('adds JSON extensions to the built-ins, recording them as extension keys', () => {
    const file = write(
      'ok.json',
      JSON.stringify([
        { key: 'apikeys:read', description: 'List API keys' },
        { key: 'apikeys:manage', description: 'Manage API keys', implies: ['apikeys:read', 'org:read'] },
      ]),
    );
    const catalogue = loadPermissionCatalogue(file);
    expect(catalogue.extensionKeys).toEqual(['apikeys:read', 'apikeys:manage']);
    expect(catalogue.keys).toHaveLength(BUILT_IN_PERMISSIONS.length + 2);
    for (const definition of BUILT_IN_PERMISSIONS) expect(catalogue.has(definition.key)).toBe(true);
    expect(sorted(catalogue.impliedBy('apikeys:manage'))).toEqual(['apikeys:manage', 'apikeys:read', 'org:read']);
    expect(sorted(catalogue.close(['apikeys:manage', 'members:invite']))).toEqual(
      sorted(['apikeys:manage', 'apikeys:read', 'org:read', 'members:invite', 'members:read', 'invitations:read']),
    );
  });

  it('adds YAML extensions', () => {
    const file = write('ok.yaml', 'permissions:\n  - key: budgets:read\n  - key: budgets:manage\n    implies: [budgets:read]\n');
    const catalogue = loadPermissionCatalogue(file);
    expect(catalogue.extensionKeys).toEqual(['budgets:read', 'budgets:manage']);
    expect(sorted(catalogue.impliedBy('budgets:manage'))).toEqual(['budgets:manage', 'budgets:read']);
  });

  it('refuses an extension implying an unknown key', () => {
    const file = write('unknown.json', JSON.stringify([{ key: 'apikeys:manage', implies: ['apikeys:read'] }]));
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toBe('Permission "apikeys:manage" implies unknown permission "apikeys:read"');
  });

  it('refuses a cycle among extensions and names it', () => {
    const file = write(
      'cycle.yaml',
      ['- key: x:a', '  implies: [x:b]', '- key: x:b', '  implies: [x:c]', '- key: x:c', '  implies: [x:a]', ''].join('\n'),
    );
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toMatch(/cycle/i);
    expect(message).toContain('x:a → x:b → x:c → x:a');
  });

  it('refuses a bad key', () => {
    const file = write('badkey.json', JSON.stringify([{ key: 'ApiKeys' }]));
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toContain('"ApiKeys"');
    expect(message).toMatch(/lowercase words separated by ":"/);
  });

  it('refuses a key declared twice in the file', () => {
    const file = write('dup.json', JSON.stringify([{ key: 'apikeys:read' }, { key: 'apikeys:read' }]));
    expect(catalogueErrorOf(() => loadPermissionCatalogue(file))).toBe('Permission "apikeys:read" is declared twice');
  });

  it('refuses an extension redeclaring a built-in key', () => {
    const file = write('redeclare.json', JSON.stringify([{ key: 'members:read', description: 'hijack' }]));
    expect(catalogueErrorOf(() => loadPermissionCatalogue(file))).toBe('Permission "members:read" is declared twice');
  });

  it('refuses an unreadable (missing) file, naming it', () => {
    const file = path.join(dir, 'does-not-exist.json');
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toContain(file);
    expect(message).toMatch(/cannot read/);
  });

  it('refuses a directory given as the file', () => {
    const message = catalogueErrorOf(() => loadPermissionCatalogue(dir));
    expect(message).toMatch(/cannot read/);
  });

  it('refuses malformed JSON', () => {
    const file = write('bad.json', '{ "permissions": [ { "key": "a:b" ');
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toContain(file);
    expect(message).toMatch(/not valid JSON/);
  });

  it('refuses malformed YAML', () => {
    const file = write('bad.yaml', 'permissions:\n  - key: a:b\n   implies: [x\n');
    const message = catalogueErrorOf(() => loadPermissionCatalogue(file));
    expect(message).toContain(file);
    expect(message).toMatch(/not valid YAML/);
  });

  it('refuses a file that is valid YAML but not a list of permissions', () => {
    const file = write('scalar.yaml', 'hello: world\n');
    expect(catalogueErrorOf(() => loadPermissionCatalogue(file))).toMatch(/expected a list of permissions/);
  });

  it('without a file (undefined or empty) is the built-in catalogue', () => {
    expect(loadPermissionCatalogue(undefined).keys).toHaveLength(BUILT_IN_PERMISSIONS.length);
    expect(loadPermissionCatalogue('').keys).toHaveLength(BUILT_IN_PERMISSIONS.length);
  });
});
