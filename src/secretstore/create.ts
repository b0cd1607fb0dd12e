import { toDatabase } from '../database/adapters';
import { readDatabaseConfig, type Environment } from '../database/config';
import { migrate } from '../database/migrate';
import { createPool, type PoolOptions } from '../database/pool';
import type { Database, DatabaseInput } from '../database/queryable';
import { SecretStoreConfigError } from '../errors';
import { PostgresSecretStoreRepository } from './repository';
import { releaseOnClose, SecretStore, type SecretStoreOptions } from './service';

export interface CreateSecretStoreOptions extends SecretStoreOptions {
  /**
   * Where the secrets live: a connection string, a pg Pool / Client / PoolClient, a PGlite instance, or
   * anything with `query(text, values)`. When left out, DATABASE_URL or the PG* variables of `env` are used.
   */
  db?: DatabaseInput | string;
  /** Environment to read the connection from when `db` is left out. Default: process.env. */
  env?: Environment;
  /** Pool settings, when the store opens its own pool. */
  pool?: PoolOptions;
  /** Apply pending migrations before returning. Default false. */
  migrate?: boolean;
}

/**
 * Builds a SecretStore over a PostgresSecretStoreRepository. A pool it opens from a connection string or
 * the environment is released by `store.close()`; a handle passed in stays the caller's.
 */
export async function createSecretStore(options: CreateSecretStoreOptions = {}): Promise<SecretStore> {
  const { db, env, pool: poolOptions, migrate: shouldMigrate, ...storeOptions } = options;
  let database: Database;
  let release: (() => Promise<void>) | undefined;

  if (db === undefined || typeof db === 'string') {
    const config = typeof db === 'string' ? { connectionString: db } : readDatabaseConfig(env ?? process.env);
    if (!config) {
      throw new SecretStoreConfigError(
        'DATABASE_URL',
        'is not set (nor are PGHOST/PGDATABASE…): pass { db } or set it',
      );
    }
    const pool = createPool(config, poolOptions);
    database = toDatabase(pool);
    release = () => pool.end();
  } else {
    database = toDatabase(db);
  }

  try {
    const store = new SecretStore(new PostgresSecretStoreRepository(database), storeOptions);
    if (shouldMigrate) await migrate(database);
    if (release) releaseOnClose(store, release);
    return store;
  } catch (error) {
    await release?.();
    throw error;
  }
}
