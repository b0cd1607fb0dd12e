import { Pool, type Client, type PoolConfig } from 'pg';

import { nonNegativeInteger, positiveInteger } from '../whole-number';
import type { DatabaseConfig } from './config';
import type { PoolStatementTimeout } from './database';
import { needsHostSelection, parseHostList } from './multi-host-url';
import { locatedClientClass, ServerLocator } from './server-locator';

export interface PoolOptions {
  /** Most connections the pool opens. */
  max?: number;
  /**
   * How long to wait for a free pooled connection (or for a new one to open) before failing, in
   * milliseconds: CONNECTION_ACQUIRE_TIMEOUT when the pool is exhausted. Default 10,000.
   */
  connectionTimeoutMillis?: number;
  /**
   * Server-side limit on one statement, in milliseconds (0 = none): STATEMENT_TIMEOUT when exceeded. Default
   * none. Sent when a connection opens; behind a pooler that refuses that (PgBouncer), the store's statements
   * and transactions set it with SET LOCAL instead.
   */
  statementTimeoutMillis?: number;
}

/**
 * The statement timeout of a pool from createPool. A server takes it for free as a startup parameter; a
 * pooler such as PgBouncer refuses that (08P01), and then the store sets it with SET LOCAL in its transactions.
 */
class StatementTimeout implements PoolStatementTimeout {
  private startup = true;

  constructor(
    readonly millis: number,
    /** The pool's own options, from which node-postgres builds each new connection. */
    private readonly poolOptions: { statement_timeout?: number | false },
  ) {}

  get sentAtStartup(): boolean {
    return this.startup;
  }

  stopSendingAtStartup(): void {
    this.startup = false;
    delete this.poolOptions.statement_timeout;
  }
}

/** A pg Pool that carries its statement timeout, so that the store can apply it where a pooler refuses it. */
class TimeoutAwarePool extends Pool {
  readonly statementTimeout: StatementTimeout | undefined;

  constructor(config: PoolConfig) {
    super(config);
    const millis = config.statement_timeout;
    this.statementTimeout =
      typeof millis === 'number' && millis > 0 ? new StatementTimeout(millis, this.options) : undefined;
  }
}

/** Longest wait for one server to say what it is, when several are listed. */
const LOCATOR_PROBE_TIMEOUT_MILLIS = 5_000;

/**
 * node-postgres settings for `config`. A connection string that lists several servers (which node-postgres
 * cannot read) becomes a Client class whose clients connect to the one that qualifies, found again after a
 * failover; `setting` names the string in a configuration error.
 */
export function connectionSettings(
  config: DatabaseConfig,
  connectionTimeoutMillis: number,
  setting: string,
): DatabaseConfig & { Client?: typeof Client } {
  const hostList = config.connectionString === undefined ? undefined : parseHostList(config.connectionString, setting);
  if (!needsHostSelection(hostList)) return config;
  const { connectionString: _listed, ...settings } = config;
  const probeTimeout = Math.min(connectionTimeoutMillis, LOCATOR_PROBE_TIMEOUT_MILLIS);
  return { ...settings, Client: locatedClientClass(new ServerLocator(hostList, settings, probeTimeout)) };
}

/**
 * A node-postgres pool for the store. Errors of idle clients (a server restart, a killed backend) are
 * absorbed here: the pool drops the client and the next query opens a new connection. A connection string
 * may list several servers (libpq's `hostA:5432,hostB:5432?target_session_attrs=read-write`).
 */
export function createPool(config: DatabaseConfig, options: PoolOptions = {}, setting = 'db'): Pool {
  const connectionTimeoutMillis = positiveInteger(
    'pool.connectionTimeoutMillis',
    options.connectionTimeoutMillis,
    10_000,
  );
  const poolConfig: PoolConfig = {
    ...connectionSettings(config, connectionTimeoutMillis, setting),
    max: positiveInteger('pool.max', options.max, 10),
    connectionTimeoutMillis,
    // TCP keepalive notices a peer that vanished without closing the connection (a host or network failure).
    keepAlive: true,
    application_name: '@kongflow/secretstore',
  };
  if (options.statementTimeoutMillis !== undefined) {
    poolConfig.statement_timeout = nonNegativeInteger('pool.statementTimeoutMillis', options.statementTimeoutMillis, 0);
  }
  const pool = new TimeoutAwarePool(poolConfig);
  pool.on('error', () => {
    // An idle client failed; the pool has already removed it. Nothing to print: the library stays silent.
  });
  return pool;
}
