/**
 * The network between a primary's host and another host, on loopback: a TCP proxy that the other side (a
 * standby's WAL receiver, or an application) connects to in place of the primary. Every chunk the primary sends
 * reaches the other side `latencyMillis` later, in order; what the other side sends reaches the primary at once,
 * so that a synchronous commit waits one latency for the standby's reply, not two. sever() is the primary's
 * host dying: what is still on the wire never arrives.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ReplicationLinkOptions {
  /** Where the primary listens. */
  target: { host: string; port: number };
  /** How long each chunk from the primary takes to reach the other side; 0 forwards it at once. */
  latencyMillis: number;
}

/** Connections through one link at once; more are reset. A standby needs one, a store's pool a dozen. */
const MAX_CONNECTIONS = 64;
/**
 * Bytes from the primary one connection may hold, on the wire and unwritten; past it the link stops reading
 * from the primary (whose sends then wait on TCP's window) until half of it has gone through.
 */
const MAX_HELD_BYTES = 16 * 1024 * 1024;

interface InFlight {
  chunk: Buffer;
  /** performance.now() at which it reaches the other side. */
  due: number;
}

/** One connection through the link: the other side's socket and the link's own to the primary. */
class LinkedConnection {
  readonly #wire: InFlight[] = [];
  #wireBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The primary closed its side cleanly: what is on the wire is delivered, then the far side is ended. */
  #primaryEnded = false;
  #cut = false;

  constructor(
    private readonly far: Socket,
    readonly primary: Socket,
    private readonly latencyMillis: number,
    private readonly onCut: (connection: LinkedConnection) => void,
  ) {
    primary.on('data', (chunk: Buffer) => this.#fromPrimary(chunk));
    primary.on('end', () => {
      this.#primaryEnded = true;
      this.#deliverDue();
    });
    primary.on('close', () => {
      if (!this.#primaryEnded) this.cut();
    });
    far.on('data', (chunk: Buffer) => {
      // Not delayed, but not buffered without bound either: the far side waits while the primary does not read.
      if (!primary.write(chunk)) far.pause();
    });
    primary.on('drain', () => far.resume());
    far.on('drain', () => this.#resumeIfRoom());
    far.on('end', () => this.cut());
    far.on('close', () => this.cut());
    for (const socket of [far, primary]) socket.on('error', () => this.cut());
  }

  /** Both sockets destroyed at once; whatever was on the wire is dropped. Returns how many bytes that was. */
  cut(): number {
    if (this.#cut) return 0;
    this.#cut = true;
    clearTimeout(this.#timer);
    // Written but still in Node's buffer, not yet handed to the kernel: dropped with the socket too.
    const dropped = this.#wireBytes + this.far.writableLength;
    this.#wire.length = 0;
    this.#wireBytes = 0;
    this.far.destroy();
    this.primary.destroy();
    this.onCut(this);
    return dropped;
  }

  #fromPrimary(chunk: Buffer): void {
    if (this.#cut) return;
    if (this.latencyMillis === 0 && this.#wire.length === 0) {
      this.far.write(chunk);
    } else {
      this.#wire.push({ chunk, due: performance.now() + this.latencyMillis });
      this.#wireBytes += chunk.length;
      this.#schedule();
    }
    if (this.#heldBytes() > MAX_HELD_BYTES) this.primary.pause();
  }

  #heldBytes(): number {
    return this.#wireBytes + this.far.writableLength;
  }

  #resumeIfRoom(): void {
    if (!this.#cut && this.primary.isPaused() && this.#heldBytes() <= MAX_HELD_BYTES / 2) this.primary.resume();
  }

  /** One timer per connection, for the oldest chunk on the wire: chunks leave in the order they came. */
  #schedule(): void {
    const oldest = this.#wire[0];
    if (this.#timer !== undefined || oldest === undefined) return;
    const wait = Math.max(0, Math.ceil(oldest.due - performance.now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#deliverDue();
    }, wait);
  }

  #deliverDue(): void {
    if (this.#cut) return;
    const now = performance.now();
    for (let oldest = this.#wire[0]; oldest !== undefined && oldest.due <= now; oldest = this.#wire[0]) {
      this.#wire.shift();
      this.#wireBytes -= oldest.chunk.length;
      this.far.write(oldest.chunk);
    }
    this.#resumeIfRoom();
    if (this.#wire.length === 0 && this.#primaryEnded) this.far.end();
    this.#schedule();
  }
}

/**
 * A link listening on a free loopback port. Once severed it stays bound until close(), so that no other process
 * can take its port meanwhile, and resets every connection it accepts: whoever dials the dead host is refused.
 */
export class ReplicationLink {
  readonly #connections = new Set<LinkedConnection>();
  #severed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: ReplicationLinkOptions,
  ) {
    server.on('connection', (far) => this.#accept(far));
    server.on('error', () => {
      // A listening server fails only on accept, which costs one connection; the link goes on.
    });
  }

  static async open(options: ReplicationLinkOptions): Promise<ReplicationLink> {
    if (!Number.isFinite(options.latencyMillis) || options.latencyMillis < 0) {
      throw new Error(`latencyMillis must be a finite number from 0, not ${options.latencyMillis}`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new ReplicationLink(server, options);
  }

  /** The loopback port to connect to in place of the primary's. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The local ports of the link's connections to the primary: the client_port the primary sees for each. */
  get primarySidePorts(): number[] {
    return [...this.#connections].flatMap(({ primary }) =>
      primary.localPort === undefined ? [] : [primary.localPort],
    );
  }

  /**
   * The primary's host dies: every byte still on the wire is dropped, every connection's two sockets are
   * destroyed at once, and new connections are reset as soon as they are accepted. Returns how many bytes were
   * dropped.
   */
  sever(): number {
    this.#severed = true;
    let dropped = 0;
    for (const connection of [...this.#connections]) dropped += connection.cut();
    return dropped;
  }

  /** Severs the link and frees its port; safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.sever();
      // Fails only when the server was not listening, which leaves nothing to free.
      this.server.close(() => resolve());
    });
    return this.#closing;
  }

  #accept(far: Socket): void {
    far.on('error', () => {
      // Reset below, or by its peer before it was linked: nothing to forward.
    });
    if (this.#severed || this.#connections.size >= MAX_CONNECTIONS) {
      far.resetAndDestroy();
      return;
    }
    far.setNoDelay(true);
    const primary = connect({ ...this.options.target, noDelay: true });
    const forget = (connection: LinkedConnection): void => {
      this.#connections.delete(connection);
    };
    this.#connections.add(new LinkedConnection(far, primary, this.options.latencyMillis, forget));
  }
}
