import { toDatabase, type DatabaseOptions } from '../database/adapters';
import {
  describeDatabaseConfig,
  readDatabaseConfig,
  readSetting,
  type DatabaseConfig,
  type Environment,
} from '../database/config';
import { ensureDataDir, holdsDatabase, resolveDataDir } from '../database/data-dir';
import { openEmbeddedDatabase, type EmbeddedDatabase, type OpenEmbeddedOptions } from '../database/embedded';
import { migrate } from '../database/migrate';
import { createPool, type PoolOptions } from '../database/pool';
import type { Database, DatabaseInput } from '../database/queryable';
import type { EncryptionOptions, KeyringOptions } from '../encryption/codec';
import { ensureDevelopmentKey, loadEmbeddedKeyring } from '../encryption/development-key';
import { EncryptionKey, KEY_BYTES, parseEncryptionKeys, type ParsedEncryptionKeys } from '../encryption/encryption-key';
import { KeyringRequiredError, SecretStoreConfigError, StoreNotFoundError } from '../errors';
import type { SecretStoreLogger } from '../logger';
import { PostgresSecretStoreRepository } from './repository';
import { releaseOnClose, SecretStore, type SecretStoreOptions } from './service';

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
  env?: Environment;
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
}

/** Where a store created by createSecretStore keeps its secrets, for tools that report it. */
export interface StoreLocation {
  kind: 'server' | 'embedded' | 'handle';
  /** host:port/database for a server, the folder for the embedded database. Never credentials. */
  description: string;
}

const locations = new WeakMap<SecretStore, StoreLocation>();

/** Where a store made by createSecretStore keeps its secrets; undefined for a store built otherwise. */
export function storeLocation(store: SecretStore): StoreLocation | undefined {
  return locations.get(store);
}

/** The keys the environment configures, each when its variable is set. */
interface EnvironmentKeys {
  /** SECRETSTORE_ENCRYPTION_KEYS (`id:<base64>,…`, the first is active). */
  keyring?: ParsedEncryptionKeys;
  /** SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY, the legacy trigger.dev key. */
  legacyTriggerDevKey?: EncryptionKey;
}

function readEncryptionFromEnv(env: Environment): EnvironmentKeys {
  const spec = readSetting(env, 'SECRETSTORE_ENCRYPTION_KEYS');
  const legacy = readSetting(env, 'SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY');
  const keys: EnvironmentKeys = {};
  if (spec !== undefined) keys.keyring = parseEncryptionKeys(spec);
  if (legacy !== undefined) {
    const bytes = Buffer.from(legacy, 'utf8');
    if (bytes.length !== KEY_BYTES) {
      throw new SecretStoreConfigError('SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY', `must be ${KEY_BYTES} bytes in UTF-8`);
    }
    keys.legacyTriggerDevKey = EncryptionKey.fromBytes(bytes);
  }
  return keys;
}

function withLegacyKey(keyring: ParsedEncryptionKeys, { legacyTriggerDevKey }: EnvironmentKeys): KeyringOptions {
  return legacyTriggerDevKey ? { ...keyring, legacyTriggerDevKey } : keyring;
}

/** SECRETSTORE_PREPARED_STATEMENTS: `true` or `false` (`1` or `0`); undefined when unset. */
function readPreparedStatementsFromEnv(env: Environment): boolean | undefined {
  const value = readSetting(env, 'SECRETSTORE_PREPARED_STATEMENTS')?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new SecretStoreConfigError('SECRETSTORE_PREPARED_STATEMENTS', 'must be true or false (or 1 or 0)');
}

function refuseWithoutKeyring(where: string): never {
  throw new KeyringRequiredError(where);
}

/** Where secrets go for a connection string (or none) and the environment: a server, else the embedded database. */
export type DatabaseTarget = { kind: 'server'; config: DatabaseConfig } | { kind: 'embedded'; dataDir: string };

/** The choice createSecretStore makes: the given URL, else DATABASE_URL or PG*, else the embedded database. */
export function chooseDatabase(url: string | undefined, dataDir: string | undefined, env: Environment): DatabaseTarget {
  const config = url !== undefined ? { connectionString: url } : readDatabaseConfig(env);
  if (config) return { kind: 'server', config };
  return { kind: 'embedded', dataDir: resolveDataDir(dataDir, env) };
}

export function describeTarget(target: DatabaseTarget): StoreLocation {
  return target.kind === 'server'
    ? { kind: 'server', description: describeDatabaseConfig(target.config) }
    : { kind: 'embedded', description: target.dataDir };
}

export interface OpenedTarget {
  database: Database;
  location: StoreLocation;
  /** Closes the pool or the embedded database that was opened. */
  release: () => Promise<void>;
}

type ServerTarget = Extract<DatabaseTarget, { kind: 'server' }>;
type EmbeddedTarget = Extract<DatabaseTarget, { kind: 'embedded' }>;

function openServer(target: ServerTarget, poolOptions?: PoolOptions, databaseOptions?: DatabaseOptions): OpenedTarget {
  const pool = createPool(target.config, poolOptions);
  return { database: toDatabase(pool, databaseOptions), location: describeTarget(target), release: () => pool.end() };
}

/**
 * Opens the embedded database in a folder made ready by ensureDataDir: as the folder's holder, or as a client
 * of the process that holds it.
 */
async function openEmbedded(
  target: EmbeddedTarget,
  options: OpenEmbeddedOptions,
): Promise<OpenedTarget & { role: EmbeddedDatabase['role'] }> {
  const embedded = await openEmbeddedDatabase(target.dataDir, options);
  return {
    database: embedded.database,
    location: describeTarget(target),
    release: () => embedded.close(),
    role: embedded.role,
  };
}

export interface OpenTargetOptions {
  pool?: PoolOptions;
  /** Receives the warnings about the data folder; without one they go to stderr. */
  logger?: SecretStoreLogger;
}

/**
 * Opens a target for work that needs no keyring (migrations): a pool for a server, or the embedded database,
 * its folder made ready as for a store. Unless `env` sets SECRETSTORE_ENCRYPTION_KEYS, a folder without a
 * database gets its development key first: a database is never made without the key its secrets will need.
 */
export async function openTarget(
  target: DatabaseTarget,
  env: Environment,
  options: OpenTargetOptions = {},
): Promise<OpenedTarget> {
  if (target.kind === 'server') return openServer(target, options.pool);
  await ensureDataDir(target.dataDir, options.logger);
  if (readSetting(env, 'SECRETSTORE_ENCRYPTION_KEYS') === undefined) {
    await ensureDevelopmentKey(target.dataDir, options.logger);
  }
  return openEmbedded(target, { pool: options.pool });
}

interface OpenedDatabase {
  database: Database;
  location: StoreLocation;
  encryption: EncryptionOptions;
  migrateByDefault: boolean;
  release?: () => Promise<void>;
}

async function openDatabase(options: CreateSecretStoreOptions, env: Environment): Promise<OpenedDatabase> {
  const { db, encryption: given, logger } = options;
  const preparedStatements = options.preparedStatements ?? readPreparedStatementsFromEnv(env);
  // Validated before any connection is opened, so that a bad keyring fails fast and opens nothing.
  const fromEnv = given === undefined ? readEncryptionFromEnv(env) : {};
  const configured = given ?? (fromEnv.keyring && withLegacyKey(fromEnv.keyring, fromEnv));

  if (db !== undefined && typeof db !== 'string') {
    return {
      database: toDatabase(db, { preparedStatements }),
      location: { kind: 'handle', description: 'a handle passed by the application' },
      encryption: configured ?? refuseWithoutKeyring('a store over an application handle'),
      migrateByDefault: false,
    };
  }

  const target = chooseDatabase(db, options.dataDir, env);
  if (target.kind === 'server') {
    const encryption = configured ?? refuseWithoutKeyring('a PostgreSQL server');
    const opened = openServer(target, options.pool, { preparedStatements });
    return { ...opened, encryption, migrateByDefault: false };
  }
  if (options.createIfMissing === false && !(await holdsDatabase(target.dataDir))) {
    throw new StoreNotFoundError(target.dataDir);
  }
  await ensureDataDir(target.dataDir, logger);
  // The folder's key file adds to SECRETSTORE_ENCRYPTION_KEYS: rows written under the development key stay readable.
  const encryption =
    given ?? withLegacyKey(await loadEmbeddedKeyring(target.dataDir, fromEnv.keyring, logger), fromEnv);
  const opened = await openEmbedded(target, {
    pool: options.pool,
    beforeSharing: options.migrate === false ? undefined : (database) => migrate(database),
  });
  // A holder migrated before sharing the database; a client migrates through the holder.
  return { ...opened, encryption, migrateByDefault: opened.role === 'client' };
}

/**
 * Builds a SecretStore over a PostgresSecretStoreRepository. With nothing configured it uses an embedded
 * PGlite database persisted under ./.secretstore (owner-only), with a development key generated beside it
 * whose keys add to SECRETSTORE_ENCRYPTION_KEYS. What it
 * opens (a pool, an embedded database) is released by `store.close()`; a handle passed in stays the caller's.
 */
export async function createSecretStore(options: CreateSecretStoreOptions = {}): Promise<SecretStore> {
  const env = options.env ?? process.env;
  const opened = await openDatabase(options, env);
  try {
    const {
      db,
      dataDir,
      env: _env,
      pool,
      preparedStatements,
      migrate: shouldMigrate,
      createIfMissing,
      ...storeOptions
    } = options;
    const store = new SecretStore(new PostgresSecretStoreRepository(opened.database), {
      ...storeOptions,
      encryption: opened.encryption,
    });
    if (shouldMigrate ?? opened.migrateByDefault) await migrate(opened.database);
    if (opened.release) releaseOnClose(store, opened.release);
    locations.set(store, opened.location);
    return store;
  } catch (error) {
    await opened.release?.();
    throw error;
  }
}
