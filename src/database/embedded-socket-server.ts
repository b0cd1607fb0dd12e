import { randomBytes } from 'node:crypto';
import { chmod, lstat, rename, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';

import type { SessionRelease, SharedPGliteSession } from './shared-pglite-session';

// Codes of the PostgreSQL messages that come without a type byte: before, or instead of, the startup message.
const PROTOCOL_3_0 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
/** Larger messages are refused: nothing this package sends comes near, and the buffer must stay bounded. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** How long closing waits for connected processes to finish and disconnect before cutting them off. */
const DRAIN_MS = 10_000;

const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);

function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** The transaction status of the last message of `output` when it is ReadyForQuery; undefined otherwise. */
function finalReadyStatus(output: Uint8Array): number | undefined {
  const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  let status: number | undefined;
  for (let offset = 0; offset + 5 <= bytes.length;) {
    const type = bytes[offset];
    const end = offset + 1 + bytes.readInt32BE(offset + 1);
    if (end < offset + 5) return undefined;
    status = type === READY_FOR_QUERY && end === offset + 6 ? bytes[offset + 5] : undefined;
    offset = end;
  }
  return status;
}

/**
 * One connection to the socket: the messages it sends run in the session only while it holds the session,
 * which it takes at its first message and gives back when PostgreSQL reports the session idle.
 */
class SocketConnection {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  #pumping = false;
  #release: SessionRelease | undefined;
  #closed = false;
  readonly finished: Promise<void>;
  #finish!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly session: SharedPGliteSession,
  ) {
    this.finished = new Promise((resolve) => (this.#finish = resolve));
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      void this.#pump();
    });
    // A client that goes away (or errs) mid-transaction must not keep the session: cleaned up once idle here.
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.destroy();
    void this.#pump();
  }

  /** The next whole message in the buffer, or undefined until one has arrived. */
  #nextMessage(): Buffer | undefined {
    const buffer = this.#buffer;
    const typed = this.#started ? 1 : 0;
    if (buffer.length < typed + 4) return undefined;
    const length = typed + buffer.readInt32BE(typed);
    if (length < typed + 4 || length > MAX_MESSAGE_BYTES) {
      this.close();
      return undefined;
    }
    if (buffer.length < length) return undefined;
    this.#buffer = buffer.subarray(length);
    return buffer.subarray(0, length);
  }

  /** Runs the buffered messages one after the other; one pump at a time per connection. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed) {
        const message = this.#nextMessage();
        if (message === undefined) break;
        // A failure of PGlite itself (closed under the connection) ends the connection, not the process.
        await this.#handle(message).catch(() => this.close());
      }
      if (this.#closed) await this.#cleanUp();
    } finally {
      this.#pumping = false;
    }
  }

  async #handle(message: Buffer): Promise<void> {
    if (!this.#started) {
      const code = message.length >= 8 ? message.readInt32BE(4) : undefined;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N');
        return;
      }
      // PGlite has no backend to interrupt: a cancel request is dropped, as a server does with an unknown key.
      if (code === CANCEL_REQUEST || code !== PROTOCOL_3_0) {
        this.close();
        return;
      }
      this.#started = true;
    } else if (message[0] === TERMINATE) {
      this.close();
      return;
    }
    this.#release ??= await this.session.take();
    if (this.#closed) return;
    const output = await this.session.db.runExclusive(() => this.session.db.execProtocolRaw(message));
    // A copy: PGlite may answer in a view of a buffer it reuses, and the socket may send later.
    if (!this.#closed && output.length > 0) this.socket.write(Buffer.from(output));
    if (finalReadyStatus(output) === IDLE) this.#giveBack();
  }

  #giveBack(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /**
   * Ends what the departed client left in the session: ROLLBACK aborts a transaction block or an unfinished
   * extended-protocol exchange; after an error PostgreSQL ignores everything up to a Sync, so that comes next.
   */
  async #cleanUp(): Promise<void> {
    if (this.#release !== undefined && !this.session.db.closed) {
      const db = this.session.db;
      await db
        .runExclusive(async () => {
          let status = finalReadyStatus(await db.execProtocolRaw(queryMessage('ROLLBACK')));
          if (status === undefined) status = finalReadyStatus(await db.execProtocolRaw(SYNC));
          if (status !== IDLE) await db.execProtocolRaw(queryMessage('ROLLBACK'));
        })
        .catch(() => undefined);
    }
    this.#giveBack();
    this.#finish();
  }
}

/**
 * Serves an open PGlite database to other local processes over a Unix socket (mode 0600), speaking the
 * PostgreSQL protocol: each connection's statements run in the one shared session in turns, whole
 * transactions at a time (see SharedPGliteSession).
 */
export class EmbeddedSocketServer {
  readonly #connections = new Set<SocketConnection>();
  readonly #server: Server;
  #inode: number | undefined;

  private constructor(
    session: SharedPGliteSession,
    readonly socketPath: string,
  ) {
    this.#server = createServer((socket) => {
      // Serving others never keeps the holder's process alive: it ends when its own work does.
      socket.unref();
      const connection = new SocketConnection(socket, session);
      this.#connections.add(connection);
      void connection.finished.then(() => this.#connections.delete(connection));
    });
  }

  /**
   * Listens at `socketPath`, replacing a socket left there by a process that is gone (the caller holds the
   * folder's lock). The socket is bound under another name and made owner-only before it is moved into place,
   * so that it is never reachable with wider permissions.
   */
  static async listen(session: SharedPGliteSession, socketPath: string): Promise<EmbeddedSocketServer> {
    const listening = new EmbeddedSocketServer(session, socketPath);
    await listening.#bind();
    return listening;
  }

  async #bind(): Promise<void> {
    // As long as the final name (.s.PGSQL.5432), so that a path that fits one fits the other.
    const bindPath = path.join(path.dirname(this.socketPath), `.s.BIND.${randomBytes(3).toString('hex').slice(0, 5)}`);
    await unlink(this.socketPath).catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.unref();
      this.#server.listen(bindPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    try {
      await chmod(bindPath, 0o600);
      await rename(bindPath, this.socketPath);
      this.#inode = (await lstat(this.socketPath)).ino;
    } catch (error) {
      this.#server.close();
      await unlink(bindPath).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Stops serving: no new connection is accepted and the socket is removed at once; connected processes get
   * up to `drainMs` to finish and disconnect, then are cut off, what they left open rolled back.
   */
  async close(drainMs = DRAIN_MS): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#removeSocket();
    const finished = () => Promise.all([...this.#connections].map((connection) => connection.finished));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished(), new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.close();
    await finished();
    await stopped;
  }

  /** Removes the socket file if it is still the one this server bound, never one a later holder made. */
  async #removeSocket(): Promise<void> {
    const current = await lstat(this.socketPath).catch(() => undefined);
    if (current !== undefined && current.ino === this.#inode) await unlink(this.socketPath).catch(() => undefined);
  }
}
