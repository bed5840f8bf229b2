/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. the service's from `BENCH_CPU_PROF_DIR=… npm run
 * bench`): where the busy main thread spent its own (self) time, by function and by module (npm package or
 * project folder), and the share of garbage collection. Idle time is left out of every share.
 *
 *   node dist/scripts/bench/cpu-profile-summary.js <file.cpuprofile> [--top 25] [--windows windows.json] [--skip-seconds 0]
 *
 * --windows keeps only the samples taken during the measured runs (the bench writes windows.json next to the
 * profile: V8's sample times and the bench's process.hrtime share the monotonic clock); --skip-seconds
 * instead drops the profile's first seconds (start-up: schema build, connections).
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** The package (node_modules/@scope/name), the project folder (src/feature, scripts), Node's internals, or V8. */
export function moduleOf(url: string, functionName: string): string {
  if (SPECIAL.has(functionName) && !url) return functionName;
  if (!url) return '(V8 builtins and native code)';
  const packages = url.split('/node_modules/');
  if (packages.length > 1) {
    const parts = packages[packages.length - 1].split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node (internals)';
  const project = /\/dist\/(src\/[^/]+|scripts|migrations|test)\//.exec(url);
  if (project) return project[1];
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const packages = url.split('/node_modules/');
  if (packages.length > 1) return packages[packages.length - 1];
  return url.replace(/^file:\/\/.*\/dist\//, '').replace(/^node:/, 'node:');
}

interface Window {
  startMicros: number;
  endMicros: number;
}

/** Self time (µs) per profile node, from the samples and their time deltas, inside `keep`. */
function selfTimes(profile: CpuProfile, keep: (micros: number) => boolean): Map<number, number> {
  const self = new Map<number, number>();
  let clock = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    // A sample stands for the time until the next one (as in DevTools).
    const delta = profile.timeDeltas[index + 1] ?? 0;
    clock += profile.timeDeltas[index];
    if (!keep(clock)) continue;
    self.set(profile.samples[index], (self.get(profile.samples[index]) ?? 0) + Math.max(0, delta));
  }
  return self;
}

function summarise(file: string, top: number, skipSeconds: number, windows: Window[] | null): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const keep = windows
    ? (micros: number) => windows.some((window) => micros >= window.startMicros && micros <= window.endMicros)
    : (micros: number) => micros - profile.startTime >= skipSeconds * 1e6;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, micros] of selfTimes(profile, keep)) {
    const { functionName, url, lineNumber } = (nodes.get(id) as ProfileNode).callFrame;
    total += micros;
    if (functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const name = SPECIAL.has(functionName) ? functionName : `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)'}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const module = moduleOf(url, functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + micros);
  }
  const busy = total - idle;
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`;
  const ms = (micros: number) => (micros / 1000).toFixed(0);
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((left, right) => right[1] - left[1])
      .slice(0, top)
      .map(([name, micros]) => `| ${name.replace(/\|/g, '\\|')} | ${ms(micros)} | ${share(micros)} |`);
  return [
    `${file}: ${(total / 1e6).toFixed(1)} s sampled ${windows ? `in ${windows.length} measured run(s)` : `after skipping ${skipSeconds} s`}, ${(busy / 1e6).toFixed(1)} s busy (idle ${((idle / total) * 100).toFixed(0)} % left out); garbage collector ${share(byFunction.get('(garbage collector)') ?? 0)} of busy time`,
    '',
    '| module | self ms | share of busy |',
    '|---|---:|---:|',
    ...rows(byModule),
    '',
    '| function | self ms | share of busy |',
    '|---|---:|---:|',
    ...rows(byFunction),
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const index = args.indexOf(name);
    if (index < 0) return fallback;
    const value = Number(args.splice(index, 2)[1]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a number ≥ 0`);
    return value;
  };
  const top = option('--top', 25);
  const skip = option('--skip-seconds', 0);
  const windowsAt = args.indexOf('--windows');
  const windows = windowsAt >= 0 ? (JSON.parse(fs.readFileSync(args.splice(windowsAt, 2)[1], 'utf8')) as Window[]) : null;
  if (args.length === 0) throw new Error('usage: cpu-profile-summary <file.cpuprofile>… [--top 25] [--windows windows.json] [--skip-seconds 0]');
  for (const file of args) console.log(`${summarise(file, top, skip, windows)}\n`);
}

if (require.main === module) main();
