/**
 * A fake Oracle listener on loopback: it keeps what each connection sent until the connect descriptor is
 * complete, then hangs up. No Oracle server is involved; what a test proves with it is what the REAL
 * node-oracledb driver (thin mode) sends: the CONNECT packet's descriptor, in plain TCP or, with `tls`, inside
 * a TLS session (TCPS) whose handshake the driver had to complete first.
 *
 *   const l = new FakeOracleListener({ tls: { cert, key } });   // or new FakeOracleListener() for TCP
 *   await l.start();                                             // l.port; l.host ('127.0.0.1' unless given)
 *   … connect …; l.lastPacket(); l.received.length; l.tlsErrors
 *   await l.stop();
 */
import net from 'node:net';
import tls from 'node:tls';

export interface FakeListenerOptions {
  /** Serve TCPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** Address to listen on (any 127.x.y.z works on Linux loopback); default 127.0.0.1. */
  host?: string;
}

export class FakeOracleListener {
  /** What each connection sent (after TLS decryption for TCPS), in order of connection. */
  readonly received: string[] = [];
  /** TLS handshakes that failed on the listener's side. */
  readonly tlsErrors: string[] = [];
  private server!: net.Server;
  port = 0;
  readonly host: string;

  constructor(private readonly o: FakeListenerOptions = {}) {
    this.host = o.host ?? '127.0.0.1';
  }

  async start(): Promise<void> {
    const onSocket = (sock: net.Socket) => {
      let data = Buffer.alloc(0);
      const i = this.received.push('') - 1;
      sock.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const text = data.toString('latin1');
        this.received[i] = text;
        if (descriptorComplete(text)) sock.destroy();
      });
      sock.on('error', () => undefined);
    };
    if (this.o.tls) {
      const server = tls.createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, onSocket);
      server.on('tlsClientError', (e) => this.tlsErrors.push(e.message));
      this.server = server;
    } else {
      this.server = net.createServer(onSocket);
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, resolve);
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  lastPacket(): string {
    return this.received[this.received.length - 1] ?? '';
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** True once the text holds a whole `(DESCRIPTION=…)` (parentheses balanced). */
function descriptorComplete(text: string): boolean {
  const start = text.indexOf('(DESCRIPTION=');
  if (start < 0) return false;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return true;
  }
  return false;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
