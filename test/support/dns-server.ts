import dgram from 'node:dgram';
import dns2 from 'dns2';

const { Packet } = dns2;

/**
 * A DNS server on 127.0.0.1 (UDP, a free port) answering TXT questions from a table the test fills in;
 * every other name is NXDOMAIN. `server` is what DNS_SERVERS takes.
 */
export class TestDnsServer {
  private readonly records = new Map<string, string[][]>();
  /** TXT questions asked, in order (lower case names). */
  readonly questions: string[] = [];

  private constructor(
    private readonly dns: ReturnType<typeof dns2.createServer>,
    readonly server: string,
  ) {}

  static async start(): Promise<TestDnsServer> {
    let instance: TestDnsServer | undefined;
    const dns = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const [question] = request.questions;
        const name = question?.name.toLowerCase() ?? '';
        instance?.questions.push(name);
        const values = question?.type === Packet.TYPE.TXT ? instance?.records.get(name) : undefined;
        if (values) {
          for (const chunks of values) response.answers.push(Packet.createResourceFromQuestion(question, { type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data: chunks }));
        } else if (!instance?.records.has(name)) {
          response.header.rcode = Packet.RCODE.NXDOMAIN;
        }
        void send(response);
      },
    });
    const addresses = await dns.listen({ udp: { port: 0, address: '127.0.0.1' } });
    instance = new TestDnsServer(dns, `127.0.0.1:${addresses.udp?.port}`);
    return instance;
  }

  /** Serves these TXT values at `name` (a value may be split into chunks, as long records are). */
  setTxt(name: string, ...values: (string | string[])[]): void {
    this.records.set(name.toLowerCase(), values.map((value) => (Array.isArray(value) ? value : [value])));
  }

  clear(name: string): void {
    this.records.delete(name.toLowerCase());
  }

  stop(): Promise<void> {
    return this.dns.close();
  }
}

/** A UDP socket on 127.0.0.1 that takes DNS questions and never answers: a dead server. */
export async function startSilentDnsServer(): Promise<{ server: string; stop(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
