import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. */
export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The CloudEvent, parsed. */
  event: Record<string, any>;
  /** The answer it gave. */
  status: number;
}

/** How to answer a request: a status, or `hang` (never answer: a receiver that times out). */
export type Answer = number | 'hang';

/**
 * A webhook receiver on 127.0.0.1 (a free port) recording what it gets. By default it answers 204;
 * `answer` changes that (e.g. 503 while "down", or per request).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: { headers: http.IncomingHttpHeaders; body: string }) => Answer = () => 204;
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(path = '/hooks'): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => (receiver as WebhookReceiver).handle(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    return receiver;
  }

  /** Verifies a received request with the Standard Webhooks reference verifier; throws when the signature does not match. */
  static verify(secret: string, webhook: ReceivedWebhook): unknown {
    return new Webhook(secret).verify(webhook.body, webhook.headers as Record<string, string>);
  }

  /** Requests received with this webhook-id. */
  withId(id: string): ReceivedWebhook[] {
    return this.received.filter((webhook) => webhook.headers['webhook-id'] === id);
  }

  /** How many requests each webhook-id arrived in (a duplicate send shows as 2). */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const webhook of this.received) {
      const id = webhook.headers['webhook-id'] as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** Successful (2xx) requests' events, in arrival order. */
  delivered(): Record<string, any>[] {
    return this.received.filter((webhook) => webhook.status >= 200 && webhook.status < 300).map((webhook) => webhook.event);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms (received ${this.received.length})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, body: string, response: http.ServerResponse): void {
    const answer = this.answer({ headers: request.headers, body });
    let event: Record<string, any> = {};
    try {
      event = JSON.parse(body);
    } catch {
      // recorded as received; the test decides
    }
    this.received.push({ headers: request.headers, body, event, status: answer === 'hang' ? 0 : answer });
    if (answer === 'hang') {
      this.hanging.add(response);
      return;
    }
    response.writeHead(answer).end();
  }
}
