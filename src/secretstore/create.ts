import { toDatabase, type DatabaseOptions } from '../database/adapters';
import { describeDatabaseConfig, readDatabaseConfig, type DatabaseConfig, type Environment } from '../database/config';
import { ensureDataDir, openEmbeddedDatabase, resolveDataDir } from '../database/embedded';
import { migrate } from '../database/migrate';
import { createPool, type PoolOptions } from '../database/pool';
import type { Database, DatabaseInput } from '../database/queryable';
import type { EncryptionOptions } from '../encryption/codec';
import { loadOrCreateDevelopmentKeys } from '../encryption/development-key';
import { EncryptionKey, KEY_BYTES, parseEncryptionKeys } from '../encryption/encryption-key';
import { SecretStoreConfigError } from '../errors';
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
   * Prepare the store's statements once per pooled connection. Default true; set false behind a pooler
   * that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /** Apply pending migrations before returning. Default: true for the embedded database, false otherwise. */
  migrate?: boolean;
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

/**
 * The keyring from SECRETSTORE_ENCRYPTION_KEYS (`id:<base64>,…`, the first is active), with
 * SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY as the legacy trigger.dev key. Undefined when unset.
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

function refuseWithoutKeyring(where: string): never {
  throw new SecretStoreConfigError(
    'SECRETSTORE_ENCRYPTION_KEYS',
    `is not set, and ${where} needs a keyring: keys are generated only for the embedded database, never for a ` +
      "shared one. Set it (see generateEncryptionKey) or pass { encryption } ('none' for plaintext in development)",
  );
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

/** Opens a target: a pool for a server, or the embedded database (creating its folder, taking its lock). */
export async function openTarget(
  target: DatabaseTarget,
  poolOptions?: PoolOptions,
  databaseOptions?: DatabaseOptions,
): Promise<OpenedTarget> {
  if (target.kind === 'server') {
    const pool = createPool(target.config, poolOptions);
    return { database: toDatabase(pool, databaseOptions), location: describeTarget(target), release: () => pool.end() };
  }
  await ensureDataDir(target.dataDir);
  const embedded = await openEmbeddedDatabase(target.dataDir);
  return { database: toDatabase(embedded), location: describeTarget(target), release: () => embedded.close() };
}

interface OpenedDatabase {
  database: Database;
  location: StoreLocation;
  encryption: EncryptionOptions;
  migrateByDefault: boolean;
  release?: () => Promise<void>;
}

async function openDatabase(options: CreateSecretStoreOptions, env: Environment): Promise<OpenedDatabase> {
  const { db, encryption: given } = options;
  // Validated before any connection is opened, so that a bad keyring fails fast and opens nothing.
  const configured = given ?? readEncryptionFromEnv(env);

  if (db !== undefined && typeof db !== 'string') {
    return {
      database: toDatabase(db, { preparedStatements: options.preparedStatements }),
      location: { kind: 'handle', description: 'a handle passed by the application' },
      encryption: configured ?? refuseWithoutKeyring('a store over an application handle'),
      migrateByDefault: false,
    };
  }

  const target = chooseDatabase(db, options.dataDir, env);
  let encryption: EncryptionOptions;
  if (target.kind === 'server') {
    encryption = configured ?? refuseWithoutKeyring('a PostgreSQL server');
  } else {
    await ensureDataDir(target.dataDir);
    encryption = configured ?? (await loadOrCreateDevelopmentKeys(target.dataDir, options.logger));
  }
  const opened = await openTarget(target, options.pool, { preparedStatements: options.preparedStatements });
  return { ...opened, encryption, migrateByDefault: target.kind === 'embedded' };
}

/**
 * Builds a SecretStore over a PostgresSecretStoreRepository. With nothing configured it uses an embedded
 * PGlite database persisted under ./.secretstore, with a development key generated beside it. What it
 * opens (a pool, an embedded database) is released by `store.close()`; a handle passed in stays the caller's.
 */
export async function createSecretStore(options: CreateSecretStoreOptions = {}): Promise<SecretStore> {
  const env = options.env ?? process.env;
  const opened = await openDatabase(options, env);
  try {
    const { db, dataDir, env: _env, pool, preparedStatements, migrate: shouldMigrate, ...storeOptions } = options;
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
