import { Client, type ClientConfig } from 'pg';

import { SecretStoreConfigError } from '../errors';
import { isObject } from '../unknown-value';
import type { PGliteLike } from './database';

/** What a listener tells its owner. */
export interface NotificationHandlers {
  /** A notification of the channel, after the transaction that sent it committed. */
  notification(payload: string): void;
  /** LISTEN is in effect: the first time, and again after each loss. Notifications before it may have been missed. */
  listening(): void;
  /** The connection failed or an attempt to listen did: notifications may be missed until `listening`. */
  lost(error: Error): void;
}

export interface NotificationListener {
  /** Whether LISTEN is in effect now. */
  readonly listening: boolean;
  /** Stops listening for good. */
  close(): Promise<void>;
}

/** Starts listening to `channel`: resolves once the first attempt has listened or failed (it then keeps trying). */
export type Listen = (channel: string, handlers: NotificationHandlers) => Promise<NotificationListener>;

export interface ListenerTiming {
  /** How often the listening connection is asked for a reply, so that a silently dead one is noticed. */
  heartbeatMillis: number;
  /** How long a heartbeat may go unanswered before the connection is taken for dead. */
  heartbeatTimeoutMillis: number;
  /** The longest wait between attempts to listen again. */
  maxReconnectDelayMillis: number;
}

export const DEFAULT_LISTENER_TIMING: ListenerTiming = {
  heartbeatMillis: 10_000,
  heartbeatTimeoutMillis: 5_000,
  maxReconnectDelayMillis: 5_000,
};

/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = '@kongflow/secretstore listener';

// Channel names are the package's own constants; checked all the same, since they are written into SQL.
const CHANNEL = /^[a-z_][a-z0-9_]*$/;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

const ignore = (): void => {
  // A connection being discarded may still report its end or an error: nothing is waiting for it.
};

/**
 * LISTEN on a connection of its own (never a pooled one, which a transaction-mode pooler would hand to
 * another client): reconnects with a growing delay after a loss, and sends a heartbeat so that a connection
 * that died without a word (a vanished host, a dropped route) is noticed.
 */
class PgNotificationListener implements NotificationListener {
  #client: Client | undefined;
  #listening = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(
    private readonly config: ListenConfig,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
    private readonly timing: ListenerTiming,
  ) {}

  get listening(): boolean {
    return this.#listening;
  }

  async connect(): Promise<void> {
    if (this.#closed) return;
    const { Client: ClientClass = Client, ...settings } = this.config;
    const client = new ClientClass({
      // An attempt (connect, LISTEN, a heartbeat) that gets no answer fails in time, and the next one is made.
      connectionTimeoutMillis: this.timing.heartbeatTimeoutMillis,
      query_timeout: this.timing.heartbeatTimeoutMillis,
      ...settings,
      keepAlive: true,
      application_name: LISTENER_APPLICATION_NAME,
    });
    this.#client = client;
    client.on('error', (error) => this.#drop(client, error));
    client.on('end', () => this.#drop(client, new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (client === this.#client && message.channel === this.channel && message.payload !== undefined) {
        this.handlers.notification(message.payload);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      this.#drop(client, asError(error));
      return;
    }
    if (client !== this.#client) return;
    this.#failures = 0;
    this.#listening = true;
    this.#startHeartbeat(client);
    this.handlers.listening();
  }

  #startHeartbeat(client: Client): void {
    let waiting = false;
    this.#heartbeat = setInterval(() => {
      if (waiting) return;
      waiting = true;
      const deadline = setTimeout(
        () => this.#drop(client, new Error('the listening connection did not answer its heartbeat')),
        this.timing.heartbeatTimeoutMillis,
      );
      deadline.unref();
      client.query('SELECT 1').then(
        () => {
          waiting = false;
          clearTimeout(deadline);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          this.#drop(client, asError(error));
        },
      );
    }, this.timing.heartbeatMillis);
    this.#heartbeat.unref();
  }

  /** Discards a failed connection and, unless closed, tries again after a delay that grows with each failure. */
  #drop(client: Client, error: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#listening = false;
    clearInterval(this.#heartbeat);
    client.removeAllListeners('notification');
    client.on('error', ignore);
    // A connection that stopped answering may never finish a polite end: its socket is destroyed.
    client.connection.stream.destroy();
    if (this.#closed) return;
    this.handlers.lost(error);
    const delay = Math.min(this.timing.maxReconnectDelayMillis, 50 * 2 ** Math.min(this.#failures, 10));
    this.#failures += 1;
    // Jittered, so that the listeners of many processes do not come back at the same instant.
    this.#retry = setTimeout(() => void this.connect(), delay / 2 + Math.random() * (delay / 2));
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      client.removeAllListeners('notification');
      client.on('error', ignore);
      await client.end().catch(ignore);
    }
  }
}

/**
 * Where a LISTEN connection goes: node-postgres settings, and the Client class of a pool whose clients find
 * their server themselves (several listed, see server-locator.ts), so that it follows the primary too.
 */
export interface ListenConfig extends ClientConfig {
  Client?: typeof Client;
}

/** Listens over node-postgres, on a connection of its own made with `config`. */
export function listenWithPg(config: ListenConfig, timing: ListenerTiming = DEFAULT_LISTENER_TIMING): Listen {
  return async (channel, handlers) => {
    if (!CHANNEL.test(channel)) throw new SecretStoreConfigError('channel', 'must be a plain lowercase identifier');
    const listener = new PgNotificationListener(config, channel, handlers, timing);
    await listener.connect();
    return listener;
  };
}

const POOL_SETTINGS = ['max', 'min', 'idleTimeoutMillis', 'maxUses', 'maxLifetimeSeconds', 'allowExitOnIdle', 'log'];

/** The connection settings of a node-postgres Pool, for a connection of its own beside it. */
export function clientConfigOfPool(pool: unknown): ListenConfig | undefined {
  const options = isObject(pool) ? pool.options : undefined;
  if (!isObject(options)) return undefined;
  const config: Record<string, unknown> = { ...options };
  // The pool's own settings mean nothing to a single client; the rest describes the connection.
  for (const setting of POOL_SETTINGS) delete config[setting];
  return config;
}

/** Listens in an in-process PGlite, whose single session sees every commit: it never loses its connection. */
export function listenWithPGlite(db: PGliteLike & { listen: PGliteListen }): Listen {
  return async (channel, handlers) => {
    const unlisten = await db.listen(channel, (payload) => handlers.notification(payload));
    let listening = true;
    handlers.listening();
    return {
      get listening() {
        return listening;
      },
      async close() {
        listening = false;
        await unlisten();
      },
    };
  };
}

export type PGliteListen = (channel: string, callback: (payload: string) => void) => Promise<() => Promise<void>>;

/** Whether a PGlite instance offers LISTEN (every PGlite does; a wrapper may not). */
export function hasPGliteListen(db: PGliteLike): db is PGliteLike & { listen: PGliteListen } {
  return typeof (db as { listen?: unknown }).listen === 'function';
}
