/**
 * A TCP proxy on 127.0.0.1 in front of a PostgreSQL server (or PgBouncer, or PGlite behind a socket) that reads
 * what clients send and, on a statement whose SQL matches an armed fault, cuts the connection: before the
 * statement reaches the server, or once the server has run it and before its answer reaches the client.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type FaultAction =
  /** Nothing of the statement reaches the server: both connections are cut instead. */
  | 'cut-before'
  /**
   * The statement (with the rest of its extended-protocol batch, through Sync) reaches the server; when the
   * server answers, both connections are cut and the answer is dropped. The server has run it by then.
   */
  | 'lose-reply';

export interface Fault {
  /** Matched against the SQL of a simple Query or of a Parse. */
  sql: RegExp;
  action: FaultAction;
  /** Statements matching `sql` to let through before this one fires. Default 0. */
  skip?: number;
}

/** A fault that fired, with the SQL it fired on. */
export interface FiredFault extends Fault {
  statement: string;
}

export interface FaultProxyOptions {
  /** Client connections open at once; more are refused. Default 32. */
  maxConnections?: number;
  /** After a 'lose-reply' statement, how long to wait for the server's answer before cutting anyway. Default 10 s. */
  replyWaitMillis?: number;
}

// Startup-phase request codes (protocol 3.0): sent before the StartupMessage, answered with one byte.
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** A statement a client prepared: its name ('' for the unnamed statement) and its SQL. */
export interface ParsedStatement {
  name: string;
  sql: string;
}

/** How many Parse messages the proxy remembers. */
const PARSED_KEPT = 1_000;

function parseOf(body: Buffer): ParsedStatement {
  const nameEnd = body.indexOf(0);
  return {
    name: body.toString('utf8', 0, nameEnd),
    sql: body.toString('utf8', nameEnd + 1, body.indexOf(0, nameEnd + 1)),
  };
}

/** The SQL text of a Query ('Q') or Parse ('P') message body; undefined for any other message. */
function sqlOf(type: string, body: Buffer): string | undefined {
  if (type === 'Q') return body.toString('utf8', 0, Math.max(0, body.indexOf(0)));
  return type === 'P' ? parseOf(body).sql : undefined;
}

/** One client connection and its server connection. */
class ProxiedConnection {
  private pending = Buffer.alloc(0);
  private started = false;
  /** Raw forwarding, without reading messages: a cancel request's connection. */
  private raw = false;
  /** A 'lose-reply' statement's batch is being forwarded until its Sync. */
  private forwardingUntilSync = false;
  /** The server's next answer is dropped and ends both connections. */
  private replyLost = false;
  private replyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Socket,
    private readonly server: Socket,
    private readonly proxy: FaultProxy,
    private readonly replyWaitMillis: number,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    for (const socket of [client, server]) {
      socket.on('error', () => this.cut());
      socket.on('close', () => this.cut());
    }
  }

  cut(): void {
    clearTimeout(this.replyTimer);
    this.client.destroy();
    this.server.destroy();
  }

  private fromServer(chunk: Buffer): void {
    if (this.replyLost) {
      if (!this.forwardingUntilSync) this.cut();
      return;
    }
    forward(this.server, this.client, chunk);
  }

  private fromClient(chunk: Buffer): void {
    if (this.raw) {
      forward(this.client, this.server, chunk);
      return;
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    while (!this.client.destroyed && !this.raw && (this.started ? this.nextMessage() : this.nextStartupPacket()));
  }

  /** Handles one startup-phase packet (Int32 length, Int32 code, …); false until it has fully arrived. */
  private nextStartupPacket(): boolean {
    if (this.pending.length < 8) return false;
    const length = this.pending.readInt32BE(0);
    if (this.pending.length < length) return false;
    const packet = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      // No encryption on loopback: the client goes on in plain text, or gives up if it demanded it.
      this.client.write('N');
      return true;
    }
    forward(this.client, this.server, packet);
    if (code === CANCEL_REQUEST) {
      this.raw = true;
      forward(this.client, this.server, this.pending);
      this.pending = Buffer.alloc(0);
    } else {
      this.started = true;
    }
    return true;
  }

  /** Handles one message (Byte1 type, Int32 length, body); false until it has fully arrived. */
  private nextMessage(): boolean {
    if (this.pending.length < 5) return false;
    const length = this.pending.readInt32BE(1) + 1;
    if (this.pending.length < length) return false;
    const message = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    const type = String.fromCharCode(message[0]);

    if (this.forwardingUntilSync) {
      forward(this.client, this.server, message);
      if (type === 'S') this.forwardingUntilSync = false;
      return true;
    }
    if (type === 'P') this.proxy.recordParse(parseOf(message.subarray(5)));
    const statement = sqlOf(type, message.subarray(5));
    const fault = statement === undefined ? undefined : this.proxy.take(statement);
    if (fault === undefined || statement === undefined) {
      forward(this.client, this.server, message);
      return true;
    }
    if (fault.action === 'cut-before') {
      this.cut();
      return false;
    }
    forward(this.client, this.server, message);
    this.replyLost = true;
    this.forwardingUntilSync = type === 'P';
    this.replyTimer = setTimeout(() => this.cut(), this.replyWaitMillis);
    return true;
  }
}

function forward(from: Socket, to: Socket, data: Buffer): void {
  if (data.length === 0 || to.destroyed) return;
  if (!to.write(data)) {
    from.pause();
    to.once('drain', () => from.resume());
  }
}

export class FaultProxy {
  private readonly armed: Fault[] = [];
  private readonly connections = new Set<ProxiedConnection>();
  /** Faults that fired, in order. */
  readonly fired: FiredFault[] = [];
  /** The statements clients prepared (Parse messages), in order; the first thousand. */
  readonly parsed: ParsedStatement[] = [];
  /** Client connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 on a free port and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const maxConnections = options.maxConnections ?? 32;
    const replyWaitMillis = options.replyWaitMillis ?? 10_000;
    const server = createServer();
    server.maxConnections = maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => {
      proxy.accepted++;
      const upstream = connect({ host: target.host, port: target.port });
      const connection = new ProxiedConnection(client, upstream, proxy, replyWaitMillis);
      proxy.connections.add(connection);
      client.on('close', () => proxy.connections.delete(connection));
    });
    return proxy;
  }

  /** The proxy in front of the server of a connection string: `url` with the proxy's host and port. */
  static async inFrontOf(url: string, options?: FaultProxyOptions): Promise<FaultProxy> {
    const parsed = new URL(url);
    return FaultProxy.start({ host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432) }, options);
  }

  /** `url` (a postgres:// connection string) pointed at the proxy instead. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Arms `fault` for the next statement it matches, once. */
  arm(fault: Fault): void {
    this.armed.push(fault);
  }

  /** The first armed fault whose SQL matches `statement`, disarmed and recorded as fired. */
  take(statement: string): Fault | undefined {
    const index = this.armed.findIndex((fault) => fault.sql.test(statement));
    if (index < 0) return undefined;
    const armed = this.armed[index];
    if (armed.skip) {
      this.armed[index] = { ...armed, skip: armed.skip - 1 };
      return undefined;
    }
    const [fault] = this.armed.splice(index, 1);
    this.fired.push({ ...fault, statement });
    return fault;
  }

  recordParse(statement: ParsedStatement): void {
    if (this.parsed.length < PARSED_KEPT) this.parsed.push(statement);
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    this.armed.length = 0;
    for (const connection of this.connections) connection.cut();
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
