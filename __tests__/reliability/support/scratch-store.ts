import type { Pool } from 'pg';

import { createScratchDatabase, type ScratchDatabase } from '../../../scripts/scratch-database';
import {
  generateEncryptionKey,
  migrate,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
  type KeyringOptions,
  type PoolOptions,
} from '../../../src';
import { createPool } from '../../../src/database/pool';
import { startDelayingProxy, type DelayingProxy } from './delaying-proxy';

/** The server the suite loads, breaks and restarts; its `postgres` database serves admin connections. */
export const SERVER_URL = process.env.RELIABILITY_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * RELIABILITY_CONNECT_DELAY_MS: when set, the stores under test connect through a loopback proxy that delays
 * each connection's first answer by that much, to run the suite as on a machine where connecting is slow.
 */
export const CONNECT_DELAY_MS = parseConnectDelay(process.env.RELIABILITY_CONNECT_DELAY_MS);

function parseConnectDelay(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const delay = Number(text);
  if (!Number.isInteger(delay) || delay < 0) {
    throw new Error(`RELIABILITY_CONNECT_DELAY_MS must be a whole number of milliseconds, not "${text}"`);
  }
  return delay;
}

/** An application's pool under load: fewer connections than workers, and no wait or statement unbounded. */
export const APPLICATION_POOL: PoolOptions = {
  max: 10,
  connectionTimeoutMillis: 5_000,
  statementTimeoutMillis: 10_000,
};

export interface ScratchStore {
  database: ScratchDatabase;
  /** Where the store's pool connects: the database, or the delaying proxy in front of it. */
  applicationUrl: string;
  store: SecretStore;
  pool: Pool;
  /** The store's keyring, for another store over the same pool with other options. */
  encryption: KeyringOptions;
}

/** A fresh database on SERVER_URL's server, migrated with the package's own migrate(). */
async function createMigratedDatabase(): Promise<ScratchDatabase> {
  const database = await createScratchDatabase(SERVER_URL, 'secretstore_reliability');
  const pool = createPool({ connectionString: database.url }, { max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return database;
}

/**
 * Registers beforeAll/afterAll for a scratch database of this file and one store over it, built the way an
 * application builds one: the package's pool with `options`, encrypted, connecting through the delaying proxy
 * when CONNECT_DELAY_MS is set. Returns a getter for both.
 * `beforeDrop` runs after the pool is ended, before the database is dropped.
 */
export function useScratchStore(
  options: PoolOptions,
  hooks: { beforeDrop?: () => Promise<void> } = {},
): () => ScratchStore {
  let opened: ScratchStore | undefined;
  let proxy: DelayingProxy | undefined;
  beforeAll(async () => {
    const database = await createMigratedDatabase();
    if (CONNECT_DELAY_MS > 0) proxy = await startDelayingProxy(database.url, CONNECT_DELAY_MS);
    const applicationUrl = proxy?.url ?? database.url;
    const pool = createPool({ connectionString: applicationUrl }, options);
    const encryption = parseEncryptionKeys(`k1:${generateEncryptionKey()}`);
    const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption });
    opened = { database, applicationUrl, pool, store, encryption };
  }, 60_000);
  afterAll(async () => {
    await opened?.pool.end();
    await proxy?.close();
    await hooks.beforeDrop?.();
    await opened?.database.drop();
  }, 90_000);
  return () => {
    if (!opened) throw new Error('the scratch store is not open: its beforeAll failed or has not run');
    return opened;
  };
}
