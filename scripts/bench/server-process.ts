import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** How to start one of the measured servers as a process of its own. */
export interface ServerCommand {
  /** Short name used in the tables (service, service-node22, floor, postgraphile). */
  name: string;
  /** What it is, for the report. */
  what: string;
  executable: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
}

/** A running server: its URL, its pid (for /proc), and how to stop it. */
export interface ServerProcess {
  name: string;
  what: string;
  baseUrl: string;
  pid: number;
  logFile: string;
  /** User + system CPU time of the whole process (every thread), in ms, from /proc/<pid>/stat. */
  cpuMs(): number;
  /** Resident set size now, in MiB, from /proc/<pid>/status. */
  rssMiB(): number;
  /** SIGTERM, then SIGKILL if it has not exited within 20 s. */
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build that matters (getconf CLK_TCK)

/** The fields of /proc/<pid>/stat after the command name: index 0 is field 3 (state), so field N is N − 3. */
export function procStat(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * utime + stime of a process, in ms (fields 14 and 15); with `reapedChildren`, plus cutime + cstime (16 and
 * 17): the time of its children that have exited and been waited for.
 */
export function processCpuMs(pid: number, reapedChildren = false): number {
  const fields = procStat(pid);
  const ticks = Number(fields[11]) + Number(fields[12]) + (reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function processRssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitUntilHealthy(baseUrl: string, child: ChildProcess, logFile: string, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting; its log ends with:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${baseUrl}/healthz within 120 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts the server, its output going to `<logDirectory>/<name>.log`, and waits until /healthz answers 200. */
export async function startServerProcess(command: ServerCommand, logDirectory: string): Promise<ServerProcess> {
  const logFile = path.join(logDirectory, `${command.name}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(command.executable, command.args, { env: command.env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command.name}: could not start ${command.executable}`);
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await exited(child, 20_000))) {
        child.kill('SIGKILL');
        await exited(child, 5_000);
      }
    })());
  const baseUrl = `http://127.0.0.1:${command.port}`;
  try {
    await waitUntilHealthy(baseUrl, child, logFile, command.name);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: command.name, what: command.what, baseUrl, pid, logFile, cpuMs: () => processCpuMs(pid), rssMiB: () => processRssMiB(pid), stop };
}
