import type { ClientConfig } from 'pg';

import { type Environment } from '../database/config';
import { holdsDatabase } from '../database/data-dir';
import type { Database, DatabaseInput } from '../database/database';
import { chooseDatabase, HANDLE_LOCATION, openTarget, type StoreLocation } from '../database/database-target';
import { migrate } from '../database/migrate';
import type { PoolOptions } from '../database/pool';
import { toDatabase } from '../database/to-database';
import { loadEmbeddedKeyring } from '../encryption/development-key';
import type { EncryptionOptions } from '../encryption/secret-codec';
import { KeyringRequiredError, SecretStoreConfigError, StoreNotFoundError } from '../errors';
import { readEnvironmentKeys, readPreparedStatements, withLegacyKey } from './environment';
import { PostgresSecretStoreRepository } from './postgres-secret-store-repository';
import { isUnreachable } from './secret-cache';
import { cacheReady, secretStoreOver, type SecretStore } from './secret-store';
import type { SecretStoreOptions } from './secret-store-options';
import { StoreCore } from './store-core';

export interface CreateSecretStoreOptions extends SecretStoreOptions {
  /**
   * Where the secrets live: a connection string, a pg Pool / Client / PoolClient, a PGlite instance, or
   * anything with `query(text, values)`. Left out: DATABASE_URL (or the PG* variables) of `env`, and
   * without those the embedded PGlite database under `dataDir`.
   */
  db?: DatabaseInput | string;
  /** Folder of the embedded database, when no server is configured. Default SECRETSTORE_DATA_DIR, else ./.secretstore. */
  dataDir?: string;
  /** Environment to read the connection and the keyring from when they are left out. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Pool settings, when the store opens its own pool. */
  pool?: PoolOptions;
  /**
   * Prepare the store's single statements once per pooled connection. Default: SECRETSTORE_PREPARED_STATEMENTS
   * of `env`, else true; behind a pooler whose connections cannot keep them (PgBouncer in transaction mode)
   * the store notices and stops, and false never names them.
   */
  preparedStatements?: boolean;
  /** Apply pending migrations before returning. Default: true for the embedded database, false otherwise. */
  migrate?: boolean;
  /**
   * Set false to open only an embedded store that exists, for tools that only read: when the data folder
   * holds no database, this throws StoreNotFoundError (code STORE_NOT_FOUND) having created nothing — no
   * folder, key or database. Default true. A server's database is never created, so this changes nothing there.
   */
  createIfMissing?: boolean;
  /**
   * Where the cache and watch() LISTEN, on a connection of their own: a PostgreSQL connection string. Default
   * SECRETSTORE_LISTEN_DATABASE_URL of `env`, else the store's own connection settings. Set it when `db`
   * is PgBouncer in transaction mode (which does not keep a LISTEN): the server itself, or a session-mode pool.
   */
  listenDatabase?: string;
}

const EMBEDDED_CHANGES =
  'are not available over the embedded database folder, whose processes share one session: use a PostgreSQL ' +
  'server, or pass a PGlite instance of this process as `db`';

/** The LISTEN connection's settings, when configured apart from the store's. */
function listenConfigOf(options: CreateSecretStoreOptions, env: Environment): ClientConfig | undefined {
  const given = options.listenDatabase ?? env.SECRETSTORE_LISTEN_DATABASE_URL;
  if (given === undefined) return undefined;
  const setting = options.listenDatabase === undefined ? 'SECRETSTORE_LISTEN_DATABASE_URL' : 'listenDatabase';
  if (typeof given !== 'string' || given.trim() === '') {
    throw new SecretStoreConfigError(setting, 'must be a PostgreSQL connection string');
  }
  return { connectionString: given };
}

interface OpenedDatabase {
  database: Database;
  location: StoreLocation;
  encryption: EncryptionOptions;
  migrateByDefault: boolean;
  /** For the embedded folder: whether this process holds it or reached the process that does. */
  role?: 'holder' | 'client';
  release?: () => Promise<void>;
}

/** Opens of an embedded folder made in a row when the holder reached closes before this process is ready. */
const EMBEDDED_OPEN_ATTEMPTS = 3;

async function openDatabase(options: CreateSecretStoreOptions, env: Environment): Promise<OpenedDatabase> {
  const { db, encryption: given, logger } = options;
  const preparedStatements = options.preparedStatements ?? readPreparedStatements(env);
  // Validated before any connection is opened, so that a bad keyring fails fast and opens nothing.
  const fromEnv = given === undefined ? readEnvironmentKeys(env) : {};
  const configured = given ?? (fromEnv.keyring && withLegacyKey(fromEnv.keyring, fromEnv));

  if (db !== undefined && typeof db !== 'string') {
    const encryption = configured ?? throwKeyringRequired('a store over an application handle');
    return {
      database: toDatabase(db, { preparedStatements }),
      location: HANDLE_LOCATION,
      encryption,
      migrateByDefault: false,
    };
  }

  const target = chooseDatabase(db, options.dataDir, env);
  if (target.kind === 'server') {
    const encryption = configured ?? throwKeyringRequired('a PostgreSQL server');
    const opened = await openTarget(target, { pool: options.pool, preparedStatements });
    return { ...opened, encryption, migrateByDefault: false };
  }
  // Refused before the folder, its key or its database is made.
  if (options.cache !== undefined) throw new SecretStoreConfigError('cache', `and watch() ${EMBEDDED_CHANGES}`);
  if (options.createIfMissing === false && !(await holdsDatabase(target.dataDir))) {
    throw new StoreNotFoundError(target.dataDir);
  }
  let encryption: EncryptionOptions | undefined = given;
  const opened = await openTarget(target, {
    pool: options.pool,
    logger,
    // The folder's key file adds to SECRETSTORE_ENCRYPTION_KEYS: rows written under the development key stay readable.
    beforeOpening: async (dataDir) => {
      encryption ??= withLegacyKey(await loadEmbeddedKeyring(dataDir, fromEnv.keyring, logger), fromEnv);
    },
    beforeSharing: options.migrate === false ? undefined : (database) => migrate(database),
  });
  // A holder migrated before sharing the database; a client migrates through the holder.
  return { ...opened, encryption: encryption as EncryptionOptions, migrateByDefault: opened.role === 'client' };
}

function throwKeyringRequired(where: string): never {
  throw new KeyringRequiredError(where);
}

/**
 * Builds a SecretStore over a PostgresSecretStoreRepository. With nothing configured it uses an embedded
 * PGlite database persisted under ./.secretstore (owner-only), with a development key generated beside it
 * whose keys add to SECRETSTORE_ENCRYPTION_KEYS. What it opens (a pool, an embedded database) the store owns,
 * and `store.close()` releases it; a handle passed in stays the caller's.
 */
export async function createSecretStore(options: CreateSecretStoreOptions = {}): Promise<SecretStore> {
  const env = options.env ?? process.env;
  const listen = listenConfigOf(options, env);
  for (let attempt = 1; ; attempt++) {
    const opened = await openDatabase(options, env);
    try {
      return await storeOver(opened, options, listen);
    } catch (error) {
      await opened.release?.();
      // The process that held the folder closed between being reached and serving this one (it removes its
      // socket at once): open the folder again, to hold it now or to reach its next holder.
      if (opened.role === 'client' && attempt < EMBEDDED_OPEN_ATTEMPTS && isUnreachable(error)) continue;
      throw error;
    }
  }
}

async function storeOver(
  opened: OpenedDatabase,
  options: CreateSecretStoreOptions,
  listen: ClientConfig | undefined,
): Promise<SecretStore> {
  const {
    db,
    dataDir,
    env: _env,
    pool,
    preparedStatements,
    migrate: shouldMigrate,
    createIfMissing,
    listenDatabase,
    ...rest
  } = options;
  const core = StoreCore.fromOptions(
    { ...rest, encryption: opened.encryption },
    { location: opened.location, release: opened.release },
  );
  if (shouldMigrate ?? opened.migrateByDefault) await migrate(opened.database);
  const embedded = opened.location.kind === 'embedded';
  const repository = new PostgresSecretStoreRepository(opened.database, {
    listen,
    changesUnavailable: embedded ? `watch() and the cache ${EMBEDDED_CHANGES}` : undefined,
  });
  const store = secretStoreOver(repository, core);
  await cacheReady(store);
  return store;
}
