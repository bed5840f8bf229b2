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
