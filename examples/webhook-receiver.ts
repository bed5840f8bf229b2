/**
 * A webhook receiver for another subgraph (e.g. API keys revoking a deactivated member's keys), as the
 * README's "Integrating another subgraph" guide describes it. Runnable:
 *
 *   WEBHOOK_SECRET=whsec_… PORT=4100 npm run example:webhook-receiver
 *
 * then register http://<host>:4100/webhooks with createWebhookEndpoint. It verifies every request with
 * the Standard Webhooks reference library, drops duplicates by webhook-id (delivery is at least once),
 * notices gaps in an organisation's sequence (then catch up from `Organisation.events(after: …)`), and
 * answers 2xx quickly (work that takes longer belongs in your own queue).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** The CloudEvents 1.0 envelope this service sends. */
export interface AccessEvent {
  specversion: '1.0';
  id: string;
  /** `/organisations/<id>`, or `/platform` for users' sign-ins and profile changes. */
  source: string;
  type: string;
  subject: string;
  time: string;
  /** Zero-padded decimal: compare as numbers per source. */
  sequence: string;
  data: Record<string, any>;
}

export interface ReceiverOptions {
  /** The secrets to accept: the current one, and during a rotation the previous one too. */
  secrets: string[];
  onEvent(event: AccessEvent): void | Promise<void>;
  /** Called when events of a source were skipped: fetch them from the feed, after `lastSeen`. */
  onGap?(source: string, lastSeen: number, received: number): void;
  port?: number;
  host?: string;
}

const MAX_BODY_BYTES = 1_000_000;

/** Starts the receiver; resolves with its URL and a stop function. */
export async function startWebhookReceiver(options: ReceiverOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const verifiers = options.secrets.map((secret) => new Webhook(secret));
  // Production: a unique constraint on webhook-id in your database, in the transaction of your reaction.
  const seen = new Set<string>();
  const lastSequence = new Map<string, number>();

  const server = http.createServer((request, response) => {
    if (request.method !== 'POST') return void response.writeHead(405).end();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', async () => {
      // Verify the raw body exactly as received: re-serialised JSON would not match the signature.
      const body = Buffer.concat(chunks).toString('utf8');
      let event: AccessEvent | undefined;
      for (const verifier of verifiers) {
        try {
          event = verifier.verify(body, request.headers as Record<string, string>) as AccessEvent;
          break;
        } catch (error) {
          if (!(error instanceof WebhookVerificationError)) throw error;
        }
      }
      if (!event) return void response.writeHead(401).end();
      if (seen.has(event.id)) return void response.writeHead(204).end(); // a retry of something already handled
      const sequence = Number(event.sequence);
      const last = lastSequence.get(event.source);
      if (last !== undefined && sequence > last + 1) options.onGap?.(event.source, last, sequence);
      try {
        await options.onEvent(event);
      } catch {
        return void response.writeHead(500).end(); // not handled: the service retries with backoff
      }
      seen.add(event.id);
      if (last === undefined || sequence > last) lastSequence.set(event.source, sequence);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/webhooks`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (require.main === module) {
  const secrets = (process.env.WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
  if (secrets.length === 0) {
    process.stderr.write('Set WEBHOOK_SECRET to the whsec_… secret createWebhookEndpoint returned (comma-separate two during a rotation)\n');
    process.exit(1);
  }
  startWebhookReceiver({
    secrets,
    port: Number(process.env.PORT ?? 4100),
    onEvent(event) {
      // React to what concerns you, e.g. revoke a deactivated or removed member's API keys.
      if (event.type === 'membership.deactivated' || event.type === 'membership.removed') {
        process.stdout.write(`revoke the keys of user ${event.data.userId} in ${event.data.organisationId}\n`);
      }
      process.stdout.write(`${event.source} #${Number(event.sequence)} ${event.type} ${event.subject}\n`);
    },
    onGap(source, lastSeen, received) {
      process.stdout.write(`gap in ${source}: had ${lastSeen}, got ${received}; read Organisation.events(after: "${lastSeen}")\n`);
    },
  }).then(({ url }) => process.stdout.write(`listening on ${url}\n`));
}
