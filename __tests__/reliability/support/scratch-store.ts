import type { Pool } from 'pg';

import { createScratchDatabase, type ScratchDatabase } from '../../../scripts/scratch-database';
import {
  createPool,
  generateEncryptionKey,
  migrate,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
  type KeyringOptions,
  type PoolOptions,
} from '../../../src';

/** The server the suite loads, breaks and restarts; its `postgres` database serves admin connections. */
export const SERVER_URL = process.env.RELIABILITY_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** An application's pool under load: fewer connections than workers, and no wait or statement unbounded. */
export const APPLICATION_POOL: PoolOptions = {
  max: 10,
  connectionTimeoutMillis: 5_000,
  statementTimeoutMillis: 10_000,
};

export interface ScratchStore {
  database: ScratchDatabase;
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
 * application builds one: the package's pool with `options`, encrypted. Returns a getter for both.
 * `beforeDrop` runs after the pool is ended, before the database is dropped.
 */
export function useScratchStore(
  options: PoolOptions,
  hooks: { beforeDrop?: () => Promise<void> } = {},
): () => ScratchStore {
  let opened: ScratchStore | undefined;
  beforeAll(async () => {
    const database = await createMigratedDatabase();
    const pool = createPool({ connectionString: database.url }, options);
    const encryption = parseEncryptionKeys(`k1:${generateEncryptionKey()}`);
    const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption });
    opened = { database, pool, store, encryption };
  }, 60_000);
  afterAll(async () => {
    await opened?.pool.end();
    await hooks.beforeDrop?.();
    await opened?.database.drop();
  }, 90_000);
  return () => {
    if (!opened) throw new Error('the scratch store is not open: its beforeAll failed or has not run');
    return opened;
  };
}
