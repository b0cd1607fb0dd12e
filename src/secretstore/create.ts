import { toDatabase } from '../database/adapters';
import { readDatabaseConfig, type Environment } from '../database/config';
import { migrate } from '../database/migrate';
import { createPool, type PoolOptions } from '../database/pool';
import type { Database, DatabaseInput } from '../database/queryable';
import type { EncryptionOptions } from '../encryption/codec';
import { EncryptionKey, KEY_BYTES, parseEncryptionKeys } from '../encryption/encryption-key';
import { SecretStoreConfigError } from '../errors';
import { PostgresSecretStoreRepository } from './repository';
import { releaseOnClose, SecretStore, type SecretStoreOptions } from './service';

export interface CreateSecretStoreOptions extends SecretStoreOptions {
  /**
   * Where the secrets live: a connection string, a pg Pool / Client / PoolClient, a PGlite instance, or
   * anything with `query(text, values)`. When left out, DATABASE_URL or the PG* variables of `env` are used.
   */
  db?: DatabaseInput | string;
  /** Environment to read the connection and the keyring from when they are left out. Default: process.env. */
  env?: Environment;
  /** Pool settings, when the store opens its own pool. */
  pool?: PoolOptions;
  /** Apply pending migrations before returning. Default false. */
  migrate?: boolean;
}

/**
 * The keyring from SECRETSTORE_ENCRYPTION_KEYS (`id:<base64>,…`, the first is active), with
 * SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY as the legacy trigger.dev key. Undefined when unset: the store then
 * refuses to start unless the caller chose `encryption` itself.
 */
function readEncryptionFromEnv(env: Environment): EncryptionOptions | undefined {
  const spec = env.SECRETSTORE_ENCRYPTION_KEYS;
  if (spec === undefined || spec.trim() === '') return undefined;
  const legacy = env.SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY;
  if (!legacy) return parseEncryptionKeys(spec);
  const bytes = Buffer.from(legacy, 'utf8');
  if (bytes.length !== KEY_BYTES) {
    throw new SecretStoreConfigError('SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY', `must be ${KEY_BYTES} bytes in UTF-8`);
  }
  return { ...parseEncryptionKeys(spec), legacyTriggerDevKey: EncryptionKey.fromBytes(bytes) };
}

/**
 * Builds a SecretStore over a PostgresSecretStoreRepository. A pool it opens from a connection string or
 * the environment is released by `store.close()`; a handle passed in stays the caller's.
 */
export async function createSecretStore(options: CreateSecretStoreOptions = {}): Promise<SecretStore> {
  const { db, env: givenEnv, pool: poolOptions, migrate: shouldMigrate, ...storeOptions } = options;
  const env = givenEnv ?? process.env;
  // Validated before any connection is opened, so that a bad keyring fails fast and opens nothing.
  const encryption = storeOptions.encryption ?? readEncryptionFromEnv(env);
  let database: Database;
  let release: (() => Promise<void>) | undefined;

  if (db === undefined || typeof db === 'string') {
    const config = typeof db === 'string' ? { connectionString: db } : readDatabaseConfig(env);
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
    const store = new SecretStore(new PostgresSecretStoreRepository(database), { ...storeOptions, encryption });
    if (shouldMigrate) await migrate(database);
    if (release) releaseOnClose(store, release);
    return store;
  } catch (error) {
    await release?.();
    throw error;
  }
}
