import type { EntityManager } from 'typeorm';

type Hook = () => Promise<void>;

// Managers of transactions opened by runTransaction, with the work to do just before their COMMIT.
const open = new WeakMap<EntityManager, Map<string, Hook>>();

/** Marks `manager` as a transaction that runs its before-commit hooks (runTransaction only). */
export function openHooks(manager: EntityManager): void {
  open.set(manager, new Map());
}

/**
 * Registers work to run once, at the end of the transaction of `manager`, just before COMMIT (the last
 * statements of the transaction; a failure rolls everything back). One hook per key: registering the
 * same key again keeps the first. Fails when `manager` is not a transaction opened by runTransaction,
 * so nothing meant to commit with a change can be silently dropped.
 */
export function beforeCommit(manager: EntityManager, key: string, hook: Hook): void {
  const hooks = open.get(manager);
  if (!hooks) throw new Error(`"${key}" needs a transaction opened by runTransaction`);
  if (!hooks.has(key)) hooks.set(key, hook);
}

/** Runs the hooks registered on `manager` (in registration order), then forgets them. */
export async function runBeforeCommitHooks(manager: EntityManager): Promise<void> {
  const hooks = open.get(manager);
  if (!hooks) return;
  // A hook may register another (or re-register itself after more work): run until none is left.
  while (hooks.size > 0) {
    const [key, hook] = hooks.entries().next().value as [string, Hook];
    hooks.delete(key);
    await hook();
  }
  open.delete(manager);
}
