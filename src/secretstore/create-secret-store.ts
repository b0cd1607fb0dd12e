import type { Pool } from 'pg';

import { describeDatabaseConfig, type Environment } from '../database/config';
import { holdsDatabase } from '../database/data-dir';
import type { Database, DatabaseInput, PoolLike } from '../database/database';
import { chooseDatabase, HANDLE_LOCATION, openTarget, type StoreLocation } from '../database/database-target';
import { migrate } from '../database/migrate';
import { clientConfigOfPool, DEFAULT_LISTENER_TIMING, type ListenConfig } from '../database/notification-listener';
import { connectionSettings, createPool, type PoolOptions } from '../database/pool';
import { ReplicatedDatabase } from '../database/replicated-database';
import { isPool, toDatabase } from '../database/to-database';
import { loadEmbeddedKeyring } from '../encryption/development-key';
import type { EncryptionOptions } from '../encryption/secret-codec';
import { KeyringRequiredError, SecretStoreConfigError, StoreNotFoundError } from '../errors';
import { readEnvironmentKeys, readPreparedStatements, withLegacyKey } from './environment';
import { PostgresSecretStoreRepository } from './postgres-secret-store-repository';
import { isUnreachable } from './secret-cache';
import { cacheReady, secretStoreOver, type SecretStore } from './secret-store';
import type { SecretStoreOptions } from './secret-store-options';
import { StoreCore } from './store-core';
import type { StoreTelemetry } from './telemetry';
import { isObject } from '../unknown-value';
import { positiveInteger } from '../whole-number';

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
  /**
   * Streaming replicas of `db` that serve reads: connection strings (each may list several servers) or pg
   * Pools. Writes, transactions and compare-and-set writes go to the primary, and so does every read of a
   * store until a replica has replayed the store's last write (read-your-writes, by WAL position). A replica
   * that is down or lags beyond `maxReplicaLagMillis` is skipped, counted in `secretstore.replica.skipped`.
   * Needs `db` to be a server (a connection string or a pg Pool). A store with `auditReads` reads from the
   * primary, whose audit trail records the read, and opens no replica.
   */
  replicas?: readonly (string | DatabaseInput)[];
  /** A replica further behind its primary than this, by WAL position, serves no reads. Default 5,000. */
  maxReplicaLagMillis?: number;
  /** How often each replica's replay position (and the primary's WAL position) is read. Default 1,000. */
  replicaCheckIntervalMillis?: number;
}

const EMBEDDED_CHANGES =
  'are not available over the embedded database folder, whose processes share one session: use a PostgreSQL ' +
  'server, or pass a PGlite instance of this process as `db`';

/** The LISTEN connection's settings, when configured apart from the store's. */
function listenConfigOf(options: CreateSecretStoreOptions, env: Environment): ListenConfig | undefined {
  const given = options.listenDatabase ?? env.SECRETSTORE_LISTEN_DATABASE_URL;
  if (given === undefined) return undefined;
  const setting = options.listenDatabase === undefined ? 'SECRETSTORE_LISTEN_DATABASE_URL' : 'listenDatabase';
  if (typeof given !== 'string' || given.trim() === '') {
    throw new SecretStoreConfigError(setting, 'must be a PostgreSQL connection string');
  }
  return connectionSettings({ connectionString: given }, DEFAULT_LISTENER_TIMING.heartbeatTimeoutMillis, setting);
}

interface OpenedDatabase {
  database: Database;
  /** The pool under `database`, when it is one: a store with replicas reads its WAL position there. */
  pool?: PoolLike;
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
      pool: isPool(db) ? db : undefined,
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
  if (options.replicas !== undefined) throw new SecretStoreConfigError('replicas', REPLICAS_NEED_A_SERVER);
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

const REPLICAS_NEED_A_SERVER = 'need `db` to be a PostgreSQL server: a connection string or a pg Pool';

interface ReplicaOptions {
  replicas: readonly (string | DatabaseInput)[];
  maxLagMillis: number;
  checkIntervalMillis: number;
}

/** The replica settings, validated; undefined when no replica is given. */
function replicaSettings(options: CreateSecretStoreOptions): ReplicaOptions | undefined {
  const { replicas } = options;
  if (replicas === undefined) return undefined;
  if (!Array.isArray(replicas) || replicas.length === 0) {
    throw new SecretStoreConfigError('replicas', 'must be a non-empty array of connection strings or pg Pools');
  }
  for (const replica of replicas as unknown[]) {
    if (typeof replica === 'string' ? replica.trim() === '' : !isObject(replica)) {
      throw new SecretStoreConfigError('replicas', 'must hold connection strings or pg Pools');
    }
  }
  return {
    replicas,
    maxLagMillis: positiveInteger('maxReplicaLagMillis', options.maxReplicaLagMillis, 5_000),
    checkIntervalMillis: positiveInteger('replicaCheckIntervalMillis', options.replicaCheckIntervalMillis, 1_000),
  };
}

interface OpenedReplicas {
  database: ReplicatedDatabase;
  release: () => Promise<void>;
}

/** Opens the replicas (pools for connection strings) and the Database that sends reads to them, checked once. */
async function openReplicas(
  opened: OpenedDatabase,
  settings: ReplicaOptions,
  telemetry: StoreTelemetry,
  options: Pick<CreateSecretStoreOptions, 'pool' | 'preparedStatements'>,
): Promise<OpenedReplicas> {
  const { preparedStatements } = options;
  const primary = opened.pool ?? throwConfig('replicas', REPLICAS_NEED_A_SERVER);
  const pools: Pool[] = [];
  const inputs = settings.replicas.map((replica, index) => {
    if (typeof replica !== 'string') {
      const settings = clientConfigOfPool(replica);
      const { connectionString, host, port, database } = settings ?? {};
      const location =
        settings === undefined
          ? `replica ${index + 1}`
          : describeDatabaseConfig({
              connectionString,
              host,
              port: typeof port === 'number' ? port : undefined,
              database,
            });
      return { database: toDatabase(replica, { preparedStatements }), location };
    }
    const config = { connectionString: replica };
    const pool = createPool(config, options.pool, 'replicas');
    pools.push(pool);
    return { database: toDatabase(pool, { preparedStatements }), location: describeDatabaseConfig(config) };
  });
  const database = new ReplicatedDatabase(
    primary,
    inputs,
    { preparedStatements },
    {
      maxLagMillis: settings.maxLagMillis,
      checkIntervalMillis: settings.checkIntervalMillis,
      events: {
        skipped: (location, reason) => telemetry.replicaSkipped(location, reason),
        stateChanged: (location, state, reason) => telemetry.replicaStateChanged(location, state, reason),
      },
    },
  );
  const release = async () => {
    database.close();
    await Promise.all(pools.map((pool) => pool.end()));
  };
  try {
    await database.start();
  } catch (error) {
    await release();
    throw error;
  }
  return { database, release };
}

function throwConfig(setting: string, problem: string): never {
  throw new SecretStoreConfigError(setting, problem);
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
  listen: ListenConfig | undefined,
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
    replicas,
    maxReplicaLagMillis,
    replicaCheckIntervalMillis,
    ...rest
  } = options;
  const replicaOptions = replicaSettings(options);
  let readers: OpenedReplicas | undefined;
  const core = StoreCore.fromOptions(
    { ...rest, encryption: opened.encryption },
    {
      location: opened.location,
      release: async () => {
        await readers?.release();
        await opened.release?.();
      },
      replicas: replicaOptions === undefined ? undefined : () => readers?.database.replicas ?? [],
    },
  );
  if (shouldMigrate ?? opened.migrateByDefault) await migrate(opened.database);
  if (replicaOptions !== undefined && !core.lifecycle.auditReads) {
    readers = await openReplicas(opened, replicaOptions, core.telemetry, { pool, preparedStatements });
  }
  const embedded = opened.location.kind === 'embedded';
  const repository = new PostgresSecretStoreRepository(readers?.database ?? opened.database, {
    valuesFromPrimary: rest.cache !== undefined,
    listen,
    changesUnavailable: embedded ? `watch() and the cache ${EMBEDDED_CHANGES}` : undefined,
  });
  const store = secretStoreOver(repository, core);
  await cacheReady(store);
  return store;
}
