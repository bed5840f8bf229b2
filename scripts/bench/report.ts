import fs from 'node:fs';
import type { Measurement } from './measure';
import type { ExplainedPage } from './members-explain';
import type { Scenario, ServerName } from './scenarios';

/** What the report says about the run besides the measurements. */
export interface RunFacts {
  date: string;
  commit: string;
  machine: string[];
  runtimes: Record<ServerName, string>;
  versions: string;
  options: string;
  data: string;
  loadStart: string;
  loadEnd: string;
  rssMiB: Map<ServerName, number>;
  servers: { name: ServerName; what: string }[];
  /** EXPLAIN (ANALYZE, BUFFERS) of the Members page statements, per organisation size (and the search). */
  explained: { label: string; service: ExplainedPage; floor: ExplainedPage }[];
}

const START = '<!-- npm run bench: latest run (generated; everything up to the end marker is rewritten by each run) -->';
const END = '<!-- npm run bench: end of latest run -->';

const median = (values: number[]): number => {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((left, right) => left - right);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function number(value: number, digits = 1): string {
  if (Number.isNaN(value)) return '—';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Fewer decimals for big numbers, more for small ones. */
const auto = (value: number) => number(value, Number.isNaN(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function runsOf(measurements: Measurement[], scenario: string, server: ServerName): Measurement[] {
  return measurements.filter((run) => run.scenario === scenario && run.server === server).sort((left, right) => left.round - right.round);
}

function figuresTable(scenarios: Scenario[], measurements: Measurement[]): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    for (const server of scenario.servers) {
      const runs = runsOf(measurements, scenario.name, server);
      if (runs.length === 0) continue;
      const pick = (key: keyof Measurement) => median(runs.map((run) => run[key] as number));
      rows.push([
        `\`${scenario.name}\` (${scenario.connections} conn${scenario.connections > 1 ? 's' : ''})`,
        server,
        runs.map((run) => auto(run.reqPerSec)).join(' / '),
        auto(pick('p50')),
        auto(pick('p99')),
        auto(pick('cpuMs')),
        auto(pick('pgExecMs')),
        auto(pick('pgCpuMs')),
        `${auto(pick('statements'))}${pick('transactionControl') > 0.05 ? ` + ${auto(pick('transactionControl'))} tx` : ''}`,
        auto(pick('sharedBlocks')),
        String(runs.reduce((sum, run) => sum + run.bad, 0)),
      ]);
    }
  }
  return table(
    ['scenario', 'server', 'req/s (round 1 / 2 / 3…)', 'p50 ms', 'p99 ms', 'server CPU ms/req', 'PostgreSQL exec ms/req', 'PostgreSQL CPU ms/req', 'SQL statements/req', 'buffers/req', 'bad responses'],
    rows,
  );
}

function ratioCell(runs: Measurement[], against: Measurement[], key: 'reqPerSec' | 'cpuMs' | 'pgExecMs'): string {
  if (runs.length === 0 || against.length === 0) return '';
  return runs
    .map((run) => {
      const other = against.find((candidate) => candidate.round === run.round);
      return other ? number(run[key] / other[key], 2) : '—';
    })
    .join(' / ');
}

function ratiosTable(scenarios: Scenario[], measurements: Measurement[]): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    const floor = runsOf(measurements, scenario.name, 'floor');
    const postgraphile = runsOf(measurements, scenario.name, 'postgraphile');
    for (const server of scenario.servers.filter((name) => name !== 'floor')) {
      const runs = runsOf(measurements, scenario.name, server);
      if (runs.length === 0 || (floor.length === 0 && (postgraphile.length === 0 || server === 'postgraphile'))) continue;
      rows.push([
        `\`${scenario.name}\``,
        server,
        ratioCell(runs, floor, 'reqPerSec'),
        server === 'postgraphile' ? '' : ratioCell(runs, postgraphile, 'reqPerSec'),
        ratioCell(runs, floor, 'cpuMs'),
        ratioCell(runs, floor, 'pgExecMs'),
      ]);
    }
  }
  return table(['scenario', 'server', 'req/s ÷ floor (per round)', 'req/s ÷ PostGraphile (per round)', 'server CPU ÷ floor', 'PostgreSQL exec ÷ floor'], rows);
}

function explainedTable(explained: RunFacts['explained']): string {
  const cell = (page: ExplainedPage) => `${page.statements.length} / ${number(page.executionMs, 2)} / ${page.buffers.toLocaleString('en')}`;
  return table(
    ['Members page (first 50)', '', 'service: statements / exec ms / buffers', 'floor: statements / exec ms / buffers', 'exec ms ÷ floor'],
    explained.map(({ label, service, floor }) => [label, '', cell(service), cell(floor), number(service.executionMs / floor.executionMs, 2)]),
  );
}

/** The generated section: run facts, figures, ratios per round, RSS. */
export function renderReport(facts: RunFacts, scenarios: Scenario[], measurements: Measurement[]): string {
  return [
    START,
    '',
    `### Latest run: ${facts.date}, commit ${facts.commit}`,
    '',
    ...facts.machine.map((line) => `- ${line}`),
    `- ${facts.versions}`,
    `- ${facts.options}`,
    `- ${facts.data}`,
    `- load average (1/5/15 min) at start ${facts.loadStart}, at end ${facts.loadEnd}`,
    '',
    figuresTable(scenarios, measurements),
    '',
    'Ratios per round (same round, so the same machine load): above 1 means more requests per second, or more CPU/PostgreSQL time per request, than the reference.',
    '',
    ratiosTable(scenarios, measurements),
    '',
    "The list's own statements under EXPLAIN (ANALYZE, BUFFERS), idle database, before the load (the service's are captured from its MemberDirectoryService; its page statement brings roles, teams and the count; the rest of its statements per request, authentication and the access snapshot, are not in this table):",
    '',
    explainedTable(facts.explained),
    '',
    table(
      ['server', 'what', 'runtime', 'RSS after the runs (MiB)'],
      facts.servers.map(({ name, what }) => [name, what, facts.runtimes[name], number(facts.rssMiB.get(name) ?? NaN, 0)]),
    ),
    '',
    'Scenarios:',
    '',
    ...scenarios.map((scenario) => `- \`${scenario.name}\`: ${scenario.what}; on ${scenario.servers.join(', ')}.`),
    '',
    END,
  ].join('\n');
}

/** Puts the section into the report file: between the markers if they are there, else under the title. */
export function writeReport(file: string, section: string): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  let next: string;
  if (start >= 0 && end > start) {
    next = current.slice(0, start) + section + current.slice(end + END.length);
  } else {
    const titleEnd = current.indexOf('\n') + 1;
    next = `${current.slice(0, titleEnd)}\n${section}\n${current.slice(titleEnd)}`;
  }
  fs.writeFileSync(file, next);
}
