import net from 'node:net';

/** What the proxy does to traffic. */
export type ProxyMode = 'pass' | 'refuse' | 'stall' | 'close';

/**
 * A loopback TCP proxy that tests control, to make PostgreSQL refuse, reset or stall
 * connections without touching the server.
 * - `pass`: forwards both ways.
 * - `refuse`: new connections are reset at once (like a server that is down).
 * - `stall`: bytes are swallowed in both directions; connections stay open and silent (a network
 *   that drops packets: no reset, no answer). New connections are accepted and stay silent too.
 * - `close`: new connections are accepted and closed at once with a FIN (a proxy or load balancer
 *   in front of a server that is down).
 * - `closeAll()`: closes every open connection with a FIN (a proxy or NAT dropping idle connections).
 * - `breakAll()`: every open connection swallows its bytes from now on, for good, with no FIN or
 *   reset (a NAT that forgot idle connections silently); new connections pass.
 * - `resetAll()`: sends RST on every open connection (a mid-write reset).
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket; broken?: boolean }>();
  mode: ProxyMode = 'pass';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  #accept(client: net.Socket) {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'close') {
      client.on('error', () => {});
      client.end();
      setTimeout(() => client.destroy(), 100).unref();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair: { client: net.Socket; upstream: net.Socket; broken?: boolean } = { client, upstream };
    this.#pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        if (this.mode !== 'stall' && !pair.broken) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const done = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  }

  /** Resets (RST) every open connection. */
  resetAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  /** Existing connections go silent for good (bytes swallowed both ways, no FIN, no reset); new ones pass. */
  breakAll(): void {
    for (const pair of this.#pairs) pair.broken = true;
  }

  /** Closes every open connection with a FIN on both sides (no reset), as an idle-timeout does. */
  closeAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.end();
      upstream.end();
    }
    this.#pairs.clear();
  }

  /** Back to forwarding. Connections stalled before stay broken (their bytes were dropped); new ones work. */
  heal(): void {
    this.mode = 'pass';
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.#pairs.size;
  }

  async stop(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
