import { Client, type ClientConfig } from 'pg';

import { NoTargetServer } from './driver-errors';
import { describeHosts, type HostAddress, type HostList, type TargetSessionAttrs } from './multi-host-url';

/** What a server says of itself: the two facts target_session_attrs is checked against, in one round trip. */
const ROLE_QUERY = "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only";

interface ServerRole {
  inRecovery: boolean;
  readOnly: boolean;
}

function qualifies(attrs: TargetSessionAttrs, role: ServerRole): boolean {
  if (attrs === 'primary') return !role.inRecovery;
  if (attrs === 'read-write') return !role.readOnly;
  return true;
}

async function roleOf(client: Pick<Client, 'query'>): Promise<ServerRole> {
  const { rows } = await client.query<{ in_recovery: boolean; read_only: string }>(ROLE_QUERY);
  return { inRecovery: rows[0]?.in_recovery === true, readOnly: rows[0]?.read_only !== 'off' };
}

const sameAddress = (a: HostAddress, b: HostAddress): boolean => a.host === b.host && a.port === b.port;

/**
 * Which of a connection string's servers the store connects to, as libpq does with several hosts: the first, in
 * order, that answers and is what target_session_attrs asks for. Found once, and again after a connection to it
 * failed or found it changed (a failover: the old primary gone, a standby promoted).
 */
export class ServerLocator {
  #current: HostAddress;
  #known = false;
  #search: Promise<HostAddress> | undefined;

  constructor(
    readonly list: HostList,
    /** Settings for the short connections that ask each server what it is. */
    private readonly config: ClientConfig,
    private readonly probeTimeoutMillis: number,
  ) {
    this.#current = list.hosts[0];
  }

  /** The server found last (the first listed before any search): where a new client points. */
  get current(): HostAddress {
    return this.#current;
  }

  /** The server to connect to: the one found, or a new search when none is known. */
  target(): Promise<HostAddress> {
    return this.#known ? Promise.resolve(this.#current) : this.#locate();
  }

  /** A connection to `address` failed, or found it no longer what is asked for: the next connection searches. */
  suspect(address: HostAddress): void {
    if (sameAddress(address, this.#current)) this.#known = false;
  }

  /** Whether a connection just made qualifies; a server that cannot be asked counts as failed. */
  async accepts(client: Pick<Client, 'query'>): Promise<boolean> {
    return this.list.targetSessionAttrs === 'any' || qualifies(this.list.targetSessionAttrs, await roleOf(client));
  }

  #locate(): Promise<HostAddress> {
    // One search at a time: every connection waiting for a server shares it.
    this.#search ??= this.#searchAll().finally(() => {
      this.#search = undefined;
    });
    return this.#search;
  }

  async #searchAll(): Promise<HostAddress> {
    const { hosts, targetSessionAttrs } = this.list;
    // Asked all at once, chosen in order: a server that does not answer costs one timeout, not one each.
    const roles = await Promise.all(hosts.map((address) => this.#ask(address)));
    const index = roles.findIndex((role) => role !== undefined && qualifies(targetSessionAttrs, role));
    const found = hosts[index];
    if (found === undefined) {
      const answered = roles.filter((role) => role !== undefined).length;
      throw new NoTargetServer(
        `none of the servers ${describeHosts(hosts)} is ${targetSessionAttrs === 'any' ? 'reachable' : `a ${targetSessionAttrs} server`} ` +
          `(${answered} of ${hosts.length} answered)`,
      );
    }
    this.#current = found;
    this.#known = true;
    return found;
  }

  async #ask(address: HostAddress): Promise<ServerRole | undefined> {
    const client = new Client({
      ...this.config,
      connectionString: this.list.urlFor(address),
      connectionTimeoutMillis: this.probeTimeoutMillis,
      query_timeout: this.probeTimeoutMillis,
      application_name: '@kongflow/secretstore locator',
    });
    client.on('error', () => {
      // A server that drops the connection while asked only answers "no".
    });
    try {
      await client.connect();
      return await roleOf(client);
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

const ignoreError = (): void => {
  // The failed query or connect reports the same error to the caller.
};

type ConnectCallback = (error: Error | null, client?: Client) => void;

/**
 * A node-postgres Client class whose clients connect to the server `locator` finds, and check it as libpq checks
 * a host against target_session_attrs. Given to a Pool as its `Client`, and to the LISTEN connection.
 */
export function locatedClientClass(locator: ServerLocator): typeof Client {
  return class LocatedClient extends Client {
    constructor(config?: ClientConfig) {
      super({ ...config, connectionString: locator.list.urlFor(locator.current) });
    }

    override connect(): Promise<Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<Client> | void {
      const connected = this.#connectToTarget();
      if (callback === undefined) return connected;
      connected.then(
        (client) => callback(null, client),
        (error: Error) => callback(error),
      );
    }

    async #connectToTarget(): Promise<Client> {
      const address = await locator.target();
      const internals = this as unknown as {
        connectionParameters: { host: string; port: number };
        connection: { stream: { destroyed: boolean } };
      };
      // A pool whose connectionTimeoutMillis ran out during the search destroyed the socket: connecting now
      // would bring it back to life for a client the pool has given up on.
      if (internals.connection.stream.destroyed) {
        throw new Error('Connection terminated due to connection timeout while the servers were asked');
      }
      // node-postgres reads host and port when it opens the socket: point this client at the server found now.
      this.host = address.host;
      this.port = address.port;
      internals.connectionParameters.host = address.host;
      internals.connectionParameters.port = address.port;
      // Until the caller has the client (a pool listens only then), a connection lost during the check below
      // must not be an unheard 'error', which would end the process: the check's query fails with it instead.
      this.on('error', ignoreError);
      let connected = false;
      try {
        await super.connect();
        connected = true;
        if (await locator.accepts(this)) return this;
      } catch (error) {
        locator.suspect(address);
        if (connected) await this.end().catch(() => undefined);
        throw error;
      } finally {
        this.removeListener('error', ignoreError);
      }
      locator.suspect(address);
      await this.end().catch(() => undefined);
      throw new NoTargetServer(
        `${describeHosts([address])} is no longer a ${locator.list.targetSessionAttrs} server (a failover?)`,
      );
    }
  };
}
