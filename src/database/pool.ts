import { Pool, type PoolConfig } from 'pg';

import { nonNegativeInteger, positiveInteger } from '../settings';
import type { DatabaseConfig } from './config';

export interface PoolOptions {
  /** Most connections the pool opens. */
  max?: number;
  /**
   * How long to wait for a free pooled connection (or for a new one to open) before failing, in
   * milliseconds: CONNECTION_ACQUIRE_TIMEOUT when the pool is exhausted. Default 10,000.
   */
  connectionTimeoutMillis?: number;
  /** Server-side limit on one statement, in milliseconds (0 = none): STATEMENT_TIMEOUT when exceeded. Default none. */
  statementTimeoutMillis?: number;
}

/**
 * A node-postgres pool for the store. Errors of idle clients (a server restart, a killed backend) are
 * absorbed here: the pool drops the client and the next query opens a new connection.
 */
export function createPool(config: DatabaseConfig, options: PoolOptions = {}): Pool {
  const poolConfig: PoolConfig = {
    ...config,
    max: positiveInteger('pool.max', options.max, 10),
    connectionTimeoutMillis: positiveInteger('pool.connectionTimeoutMillis', options.connectionTimeoutMillis, 10_000),
    // TCP keepalive notices a peer that vanished without closing the connection (a host or network failure).
    keepAlive: true,
    application_name: '@kongflow/secretstore',
  };
  if (options.statementTimeoutMillis !== undefined) {
    poolConfig.statement_timeout = nonNegativeInteger('pool.statementTimeoutMillis', options.statementTimeoutMillis, 0);
  }
  const pool = new Pool(poolConfig);
  pool.on('error', () => {
    // An idle client failed; the pool has already removed it. Nothing to print: the library stays silent.
  });
  return pool;
}
