import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../src/core/config';

/** `.env.example` and the README's configuration table list every variable the service reads, with its default. */

const ROOT = path.resolve(__dirname, '..');
const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('.env.example', () => {
  it.each(CONFIG_VARIABLES)('lists %s with a comment above it', (variable) => {
    const lines = example.split('\n');
    const index = lines.findIndex((line) => line.startsWith(`# ${variable}=`));
    expect(index).toBeGreaterThan(0);
    expect(lines[index - 1]).toMatch(/^# \S/);
  });

  it('lists nothing the service does not read', () => {
    const listed = [...example.matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
    expect(listed.filter((variable) => !CONFIG_VARIABLES.includes(variable))).toEqual([]);
  });

  it('is a valid configuration when every line is uncommented as shown, and each shown default is the default', () => {
    const shown = Object.fromEntries(
      [...example.matchAll(/^# ([A-Z][A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name, value] as [string, string]).filter(([, value]) => value !== ''),
    );
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    // Examples rather than defaults: what an unset variable means is said in the comment.
    const examples = new Set(['DATABASE_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'CORS_ORIGINS']);
    for (const [name, value] of Object.entries(shown)) {
      if (examples.has(name)) continue;
      const parsed = loadConfig({ [name]: value }) as unknown as Record<string, unknown>;
      expect([name, parsed[name]]).toEqual([name, defaults[name]]);
    }
    expect(() => loadConfig(shown)).not.toThrow();
  });
});

describe('README', () => {
  it.each(CONFIG_VARIABLES)('documents %s in the configuration table', (variable) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${variable}\` \\|`, 'm'));
  });

  it('stands alone: no link into ../shared, which a clone does not have', () => {
    expect(readme).not.toContain('../shared');
  });
});
