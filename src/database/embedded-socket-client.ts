import path from 'node:path';

import { Client, Pool, type ClientConfig } from 'pg';

import { positiveInteger } from '../whole-number';
import type { LockHolder } from './data-folder-lock';
import type { PoolOptions } from './pool';

/** The setting in which a holder's session shows its proof (see DataFolderLock.proof). */
export const HOLDER_PROOF_SETTING = 'secretstore.holder_proof';

/**
 * node-postgres reaches a Unix socket as `<host>/.s.PGSQL.<port>`, so the holder's socket bears that name.
 * No TLS (a local socket), no credentials: the socket's mode and folder decide who may connect.
 */
function socketConfig(socketPath: string): ClientConfig {
  return {
    host: path.dirname(socketPath),
    port: Number(path.basename(socketPath).slice('.s.PGSQL.'.length)),
    user: 'postgres',
    database: 'postgres',
    ssl: false,
  };
}

/** Whether the process at the holder's socket proves it wrote the lock; false when nothing answers in time. */
async function provesHolder(holder: LockHolder, timeoutMs: number): Promise<boolean> {
  const client = new Client({
    ...socketConfig(holder.socketPath),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ proven: boolean }>(
      `SELECT current_setting('${HOLDER_PROOF_SETTING}', true) = $1 AS proven`,
      [holder.proof],
    );
    return rows[0]?.proven === true;
  } catch {
    return false;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/**
 * A pool of connections to the process that holds a data folder, once it has proved it is that process;
 * undefined when nothing answers there with the lock's proof.
 */
export async function connectToHolder(
  holder: LockHolder,
  timeoutMs: number,
  options: PoolOptions = {},
): Promise<Pool | undefined> {
  if (!(await provesHolder(holder, timeoutMs))) return undefined;
  const pool = new Pool({
    ...socketConfig(holder.socketPath),
    max: positiveInteger('pool.max', options.max, 10),
    connectionTimeoutMillis: positiveInteger('pool.connectionTimeoutMillis', options.connectionTimeoutMillis, 10_000),
    // Idle connections are given back soon: a holder that is closing waits for its connections to go.
    idleTimeoutMillis: 1_000,
    application_name: '@kongflow/secretstore',
  });
  pool.on('error', () => {
    // An idle connection failed (the holder went away); the pool has dropped it, and the next query reports it.
  });
  return pool;
}
