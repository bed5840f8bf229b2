import net from 'node:net';

/**
 * What the proxy does with traffic:
 * - `forward`: passes bytes both ways (a healthy database);
 * - `blackhole`: accepts connections but forwards nothing, in either direction, and holds what it gets
 *   (a stopped PostgreSQL process, or a network that drops packets): no error, no answer, ever;
 * - `refuse`: resets every open connection and closes the port (PostgreSQL down: ECONNRESET, then ECONNREFUSED).
 */
export type ProxyMode = 'forward' | 'blackhole' | 'refuse';

interface Link {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held while black-holed, per direction; delivered in order when forwarding resumes. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/** A TCP proxy on 127.0.0.1 (free port) in front of PostgreSQL that tests switch between the modes above. */
export class TcpProxy {
  private mode: ProxyMode = 'forward';
  private readonly links = new Set<Link>();
  private server: net.Server | null = null;
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen(0);
    return proxy;
  }

  /** `url` (postgres://…) rewritten to go through this proxy. */
  via(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  blackhole(): void {
    this.mode = 'blackhole';
  }

  async refuse(): Promise<void> {
    this.mode = 'refuse';
    for (const link of this.links) this.drop(link);
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Back to healthy: held bytes are delivered, waiting connections reach PostgreSQL, the port reopens. */
  async forward(): Promise<void> {
    this.mode = 'forward';
    if (!this.server) await this.listen(this.port);
    for (const link of this.links) this.flush(link);
  }

  async stop(): Promise<void> {
    await this.refuse();
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    const link: Link = { client, upstream: null, toUpstream: [], toClient: [] };
    this.links.add(link);
    client.on('data', (chunk) => {
      link.toUpstream.push(chunk);
      this.flush(link);
    });
    client.on('error', () => this.drop(link));
    client.on('close', () => this.drop(link));
    this.flush(link);
  }

  private connectUpstream(link: Link): net.Socket {
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.on('data', (chunk) => {
      link.toClient.push(chunk);
      this.flush(link);
    });
    upstream.on('error', () => this.drop(link));
    upstream.on('close', () => this.drop(link));
    return upstream;
  }

  private flush(link: Link): void {
    if (this.mode !== 'forward' || !this.links.has(link)) return;
    link.upstream ??= this.connectUpstream(link);
    for (const chunk of link.toUpstream.splice(0)) link.upstream.write(chunk);
    for (const chunk of link.toClient.splice(0)) link.client.write(chunk);
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.resetAndDestroy();
    link.upstream?.resetAndDestroy();
  }
}
