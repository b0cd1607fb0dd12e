import { describeDatabaseConfig, readDatabaseConfig, type DatabaseConfig, type Environment } from './config';
import { ensureDataDir, resolveDataDir } from './data-dir';
import type { Database } from './database';
import { openEmbeddedDatabase, type EmbeddedDatabase, type OpenEmbeddedOptions } from './embedded';
import { createPool, type PoolOptions } from './pool';
import type { Pool } from 'pg';
import type { SecretStoreLogger } from '../logger';
import { toDatabase, type StatementOptions } from './to-database';

/** Where a store keeps its secrets, for tools that report it. */
export interface StoreLocation {
  kind: 'server' | 'embedded' | 'handle';
  /** host:port/database for a server, the folder for the embedded database. Never credentials. */
  description: string;
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

/** The location of a store over a handle the application passed in. */
export const HANDLE_LOCATION: StoreLocation = { kind: 'handle', description: 'a handle passed by the application' };

export interface OpenedTarget {
  database: Database;
  location: StoreLocation;
  /** For a server: the pool under `database`. */
  pool?: Pool;
  /** For the embedded database: whether this process holds the folder or reached its holder. */
  role?: EmbeddedDatabase['role'];
  /** Closes the pool or the embedded database that was opened. */
  release: () => Promise<void>;
}

export interface OpenTargetOptions extends StatementOptions {
  pool?: PoolOptions;
  /** Receives the warnings about the data folder; without one they go to stderr. */
  logger?: SecretStoreLogger;
  /** For the embedded database: runs once its folder is ready and before the database is opened. */
  beforeOpening?: (dataDir: string) => Promise<unknown>;
  /** For the embedded database, as its holder: runs before other processes can reach it (migrations). */
  beforeSharing?: OpenEmbeddedOptions['beforeSharing'];
}

/**
 * Opens a target: a pool for a server, or the embedded database — its folder made ready (created or
 * tightened to 0700, a .gitignore of *), as the folder's holder or as a client of the process that holds it.
 */
export async function openTarget(target: DatabaseTarget, options: OpenTargetOptions = {}): Promise<OpenedTarget> {
  const location = describeTarget(target);
  if (target.kind === 'server') {
    const pool = createPool(target.config, options.pool);
    const database = toDatabase(pool, { preparedStatements: options.preparedStatements });
    return { database, pool, location, release: () => pool.end() };
  }
  await ensureDataDir(target.dataDir, options.logger);
  await options.beforeOpening?.(target.dataDir);
  const embedded = await openEmbeddedDatabase(target.dataDir, {
    pool: options.pool,
    beforeSharing: options.beforeSharing,
  });
  return { database: embedded.database, location, role: embedded.role, release: () => embedded.close() };
}
