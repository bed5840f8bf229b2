import fs from 'node:fs';
import YAML from 'yaml';
import { BUILT_IN_PERMISSIONS, type PermissionDefinition } from './built-in-permissions';

/** Raised when the configured catalogue cannot be used; the service refuses to start. */
export class CatalogueError extends Error {}

const KEY_PATTERN = /^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)+$/;

/**
 * The set of permissions the service governs: the built-ins plus extension permissions of other
 * subgraphs. Immutable; closure over implications is precomputed.
 */
export class PermissionCatalogue {
  private readonly byKey = new Map<string, PermissionDefinition>();
  private readonly closures = new Map<string, readonly string[]>();
  readonly extensionKeys: readonly string[];

  constructor(definitions: PermissionDefinition[], extensionKeys: string[] = []) {
    for (const definition of definitions) {
      if (!KEY_PATTERN.test(definition.key)) {
        throw new CatalogueError(`Permission "${definition.key}": a key is lowercase words separated by ":" (e.g. apikeys:manage)`);
      }
      if (this.byKey.has(definition.key)) throw new CatalogueError(`Permission "${definition.key}" is declared twice`);
      this.byKey.set(definition.key, definition);
    }
    for (const definition of definitions) {
      for (const implied of definition.implies) {
        if (!this.byKey.has(implied)) throw new CatalogueError(`Permission "${definition.key}" implies unknown permission "${implied}"`);
      }
    }
    this.assertAcyclic();
    for (const key of this.byKey.keys()) this.closures.set(key, this.computeClosure(key));
    this.extensionKeys = extensionKeys;
  }

  get definitions(): PermissionDefinition[] {
    return [...this.byKey.values()];
  }

  get keys(): string[] {
    return [...this.byKey.keys()];
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The key and everything it implies, transitively. */
  impliedBy(key: string): readonly string[] {
    return this.closures.get(key) ?? [];
  }

  /** Closure of a set of permissions under implication; unknown keys are dropped (fail closed). */
  close(keys: Iterable<string>): Set<string> {
    const result = new Set<string>();
    for (const key of keys) for (const implied of this.impliedBy(key)) result.add(implied);
    return result;
  }

  private computeClosure(key: string): string[] {
    const seen = new Set<string>();
    const stack = [key];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.byKey.get(next)?.implies ?? []));
    }
    return [...seen];
  }

  private assertAcyclic(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (key: string, trail: string[]): void => {
      if (state.get(key) === 'done') return;
      if (state.get(key) === 'visiting') {
        throw new CatalogueError(`Permission implications form a cycle: ${[...trail, key].join(' → ')}`);
      }
      state.set(key, 'visiting');
      for (const implied of this.byKey.get(key)?.implies ?? []) visit(implied, [...trail, key]);
      state.set(key, 'done');
    };
    for (const key of this.byKey.keys()) visit(key, []);
  }
}

/** Parses an extension file (JSON or YAML): a list of { key, description, implies }. */
export function parseExtensionPermissions(text: string, source: string): PermissionDefinition[] {
  let parsed: unknown;
  try {
    parsed = source.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new CatalogueError(`${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { permissions?: unknown } | null)?.permissions;
  if (!Array.isArray(list)) throw new CatalogueError(`${source}: expected a list of permissions (or { permissions: [...] })`);
  return list.map((entry, index) => {
    const item = entry as Partial<PermissionDefinition> | null;
    if (!item || typeof item.key !== 'string') throw new CatalogueError(`${source}: entry ${index + 1} has no "key"`);
    if (item.implies !== undefined && (!Array.isArray(item.implies) || item.implies.some((key) => typeof key !== 'string'))) {
      throw new CatalogueError(`${source}: "${item.key}".implies must be a list of permission keys`);
    }
    return { key: item.key, description: typeof item.description === 'string' ? item.description : '', implies: item.implies ?? [] };
  });
}

/** The built-in catalogue plus the extensions of `PERMISSIONS_FILE`, validated. */
export function loadPermissionCatalogue(permissionsFile?: string): PermissionCatalogue {
  if (!permissionsFile) return new PermissionCatalogue(BUILT_IN_PERMISSIONS);
  let text: string;
  try {
    text = fs.readFileSync(permissionsFile, 'utf8');
  } catch (error) {
    throw new CatalogueError(`PERMISSIONS_FILE ${permissionsFile}: cannot read it (${(error as Error).message})`);
  }
  const extensions = parseExtensionPermissions(text, permissionsFile);
  return new PermissionCatalogue([...BUILT_IN_PERMISSIONS, ...extensions], extensions.map((definition) => definition.key));
}
