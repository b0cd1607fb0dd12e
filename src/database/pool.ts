import { Pool, type PoolConfig } from 'pg';

import type { DatabaseConfig } from './config';

export interface PoolOptions {
  /** Most connections the pool opens. */
  max?: number;
  /** How long to wait for a free connection before failing, in milliseconds. */
  connectionTimeoutMillis?: number;
  /** Server-side limit on one statement, in milliseconds (0 = none). */
  statementTimeoutMillis?: number;
}

/**
 * A node-postgres pool for the store. Errors of idle clients (a server restart, a killed backend) are
 * absorbed here: the pool drops the client and the next query opens a new connection.
 */
export function createPool(config: DatabaseConfig, options: PoolOptions = {}): Pool {
  const poolConfig: PoolConfig = {
    ...config,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    application_name: '@kongflow/secretstore',
  };
  if (options.statementTimeoutMillis !== undefined) poolConfig.statement_timeout = options.statementTimeoutMillis;
  const pool = new Pool(poolConfig);
  pool.on('error', () => {
    // An idle client failed; the pool has already removed it. Nothing to print: the library stays silent.
  });
  return pool;
}
