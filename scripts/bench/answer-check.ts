import { isDeepStrictEqual } from 'node:util';
import type { Scenario, ServerName } from './scenarios';
import type { ServerProcess } from './server-process';

/** POSTs the scenario's request to one server; its `data`, or an error naming the server. */
async function ask(scenario: Scenario, server: ServerProcess & { name: ServerName }): Promise<any> {
  const request = scenario.request(server.name);
  const response = await fetch(new URL(request.path, server.baseUrl), { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  let body: { data?: unknown; errors?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${scenario.name} on ${server.name}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (response.status !== 200 || body.errors || !body.data) throw new Error(`${scenario.name} on ${server.name}: HTTP ${response.status}: ${text.slice(0, 1000)}`);
  return body.data;
}

/** The answer with every cursor blanked: the floor's cursors are not signed like the service's may be. */
const withoutCursors = (data: unknown) => JSON.stringify(data, (key, value) => (key === 'cursor' || key === 'endCursor' ? '' : value));

function firstDifference(left: unknown, right: unknown, path = ''): string {
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return `${path || '(root)'}: ${JSON.stringify(left)} ≠ ${JSON.stringify(right)}`;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const a = (left as Record<string, unknown>)[key];
    const b = (right as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(a, b)) return firstDifference(a, b, `${path}.${key}`);
  }
  return `${path}: differ`;
}

async function compareOnce(scenario: Scenario, servers: (ServerProcess & { name: ServerName })[]): Promise<string[]> {
  const problems: string[] = [];
  // The service first: its authentication may record a sign-in time the others then read as well.
  const ordered = [...servers].sort((left, right) => Number(left.name !== 'service') - Number(right.name !== 'service'));
  const raw = new Map<ServerName, any>();
  for (const server of ordered) raw.set(server.name, await ask(scenario, server));
  const canonical = new Map<ServerName, any>();
  for (const [name, data] of raw) {
    const answer = scenario.canonical(name, data);
    canonical.set(name, answer);
    const wrong = scenario.expectation(answer);
    if (wrong) problems.push(`${scenario.name} on ${name}: ${wrong}`);
  }
  const [referenceName, reference] = [...canonical][0];
  for (const [name, answer] of canonical) {
    if (!isDeepStrictEqual(answer, reference)) problems.push(`${scenario.name}: ${name} answers differently from ${referenceName}: ${firstDifference(reference, answer)}`);
  }
  // The floor must return the service's very JSON (cursors aside), not just the same members.
  const service = raw.get('service') ?? raw.get('service-node22');
  const floor = raw.get('floor');
  if (service && floor && withoutCursors(service) !== withoutCursors(floor)) problems.push(`${scenario.name}: the floor's JSON differs from the service's: ${firstDifference(JSON.parse(withoutCursors(service)), JSON.parse(withoutCursors(floor)))}`);
  return problems;
}

/**
 * Asks every server the scenario once and checks that they agree: same members (ids and fields, in the same
 * order) and the counts the seeded data implies. A mismatch is asked again once (a sign-in time written
 * between two answers), then fails the run.
 */
export async function checkAnswers(scenario: Scenario, servers: (ServerProcess & { name: ServerName })[]): Promise<void> {
  let problems = await compareOnce(scenario, servers);
  if (problems.length > 0) problems = await compareOnce(scenario, servers);
  if (problems.length > 0) throw new Error(`answers disagree:\n  ${problems.join('\n  ')}`);
}
