import { Counter } from 'prom-client';
import { metricsRegistry } from './metrics-registry';

const refusals = new Counter({
  name: 'authz_refusals_total',
  help: 'Authorization refusals by permission (or rule, when no permission is involved) and extensions.code',
  labelNames: ['permission', 'code'] as const,
  registers: [metricsRegistry],
});

/**
 * Counts one refusal. `permission` is a catalogue key or a rule name (both bounded by the code and the
 * permission catalogue, never by what a client sends). Called on refusal paths only.
 */
export function recordRefusal(permission: string, code: string): void {
  refusals.inc({ permission, code });
}

/** Refusal errors already counted where they were made, so the rule that passes them on does not count them again. */
const counted = new WeakSet<object>();

/** Counts `error` once, under `permission` and its `extensions.code`, and returns it to be thrown. */
export function countedRefusal<E extends Error>(permission: string, error: E): E {
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  recordRefusal(permission, typeof code === 'string' ? code : 'FORBIDDEN');
  counted.add(error);
  return error;
}

/** Whether `error` was counted by `countedRefusal` already. */
export function refusalCounted(error: unknown): boolean {
  return typeof error === 'object' && error !== null && counted.has(error);
}
