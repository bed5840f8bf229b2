import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { GraphQLResponse } from './test-service';

const ROOT = path.resolve(__dirname, '../..');
/** The compiled service (build it first: `buildCompiled`). */
export const SERVICE_MAIN = path.join(ROOT, 'dist/src/main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One instance of the service as operators run it: the compiled build in a process of its own. */
export class ServiceProcess {
  private output = '';

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly base: string,
  ) {
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
  }

  /** Starts an instance on a free port with only `environment` (and PATH, HOME); resolves once /healthz answers. */
  static async start(name: string, environment: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVICE_MAIN], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...environment, PORT: String(port) } });
    const instance = new ServiceProcess(name, child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before answering:\n${instance.output.slice(-3000)}`);
      try {
        if ((await fetch(`${instance.base}/healthz`)).ok) return instance;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`${name} did not answer /healthz within 60 s:\n${instance.output.slice(-3000)}`);
  }

  /** Everything it wrote to stdout and stderr (JSON log lines). */
  get logs(): string {
    return this.output;
  }

  /** Its log lines, parsed (lines that are not JSON are left out). */
  logLines(): Record<string, any>[] {
    return this.output.split('\n').flatMap((line) => {
      try {
        return line.startsWith('{') ? [JSON.parse(line)] : [];
      } catch {
        return [];
      }
    });
  }

  async request<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ status: number; body: GraphQLResponse<T> }> {
    const response = await fetch(`${this.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<T> };
  }

  async graphql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse<T>> {
    return (await this.request<T>(query, variables, token)).body;
  }

  /** The sum of a Prometheus metric's series whose labels include `labels`; 0 when none. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const present = Object.fromEntries([...(match[3] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((label) => [label[1], label[2]]));
      if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(match[4]);
    }
    return total;
  }

  /** SIGTERM (drains), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
