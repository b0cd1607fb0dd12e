import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { MigrationChecksumMismatchError, MigrationError, SecretStoreError } from '../errors';
import { toDatabase } from './to-database';
import { toDatabaseError } from './driver-errors';
import type { DatabaseInput, Queryable } from './database';

/**
 * The package's own `migrations/` folder, found by walking up from this file: it sits at the package root,
 * above src/database when run from source and above dist when run from a build.
 */
function findMigrationsDirectory(start: string): string {
  for (let directory = start; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'migrations');
    if (existsSync(path.join(candidate, '001_secret_store.sql'))) return candidate;
    if (path.dirname(directory) === directory) return path.resolve(start, '..', '..', 'migrations');
  }
}

export const MIGRATIONS_DIRECTORY = findMigrationsDirectory(__dirname);

const MIGRATIONS_TABLE = 'secretstore_migrations';
const MIGRATION_FILE = /^\d+_[A-Za-z0-9_-]+\.sql$/;
// One fixed advisory lock id for all migration runners of this package ("secretst" in ASCII).
const MIGRATION_LOCK_ID = '8315144016483791988';

export interface MigrateOptions {
  /** Folder of `NNN_name.sql` files; defaults to the package's migrations. */
  directory?: string;
}

export interface MigrationResult {
  /** Migrations applied by this run, in order. */
  applied: string[];
  /** Migrations that were already applied before this run. */
  alreadyApplied: string[];
  /** Migrations recorded in the database that this package does not know (a newer version applied them). */
  unknown: string[];
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(directory: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.sql'));
  } catch {
    throw new MigrationError(directory, `Cannot read the migrations folder ${directory}`);
  }
  const bad = names.find((name) => !MIGRATION_FILE.test(name));
  if (bad) throw new MigrationError(bad, `Migration file ${bad} is not named NNN_name.sql`);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(directory, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

// The lock lasts one transaction: behind a transaction pooler (PgBouncer) a session-level lock would stay
// with whichever server session took it, and its unlock could reach another one.
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`;

async function recordedMigrations(connection: Queryable): Promise<Map<string, string>> {
  const { rows } = await connection.query(`SELECT name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY name`);
  return new Map((rows as { name: string; checksum: string }[]).map((row) => [row.name, row.checksum]));
}

/** Creates the migrations table if needed and reads it, holding the lock. */
async function prepareMigrationsTable(connection: Queryable): Promise<Map<string, string>> {
  await connection.query(BEGIN_LOCKED);
  try {
    await connection.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         name       TEXT PRIMARY KEY,
         checksum   TEXT NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const recorded = await recordedMigrations(connection);
    await connection.query('COMMIT');
    return recorded;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Applies `migration` in its own transaction, holding the lock, unless another runner recorded it since this
 * one read the table: then the checksum it recorded is returned, and nothing is applied.
 */
async function applyInTransaction(connection: Queryable, migration: MigrationFile): Promise<string | undefined> {
  await connection.query(BEGIN_LOCKED);
  try {
    const { rows } = await connection.query(`SELECT checksum FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [
      migration.name,
    ]);
    const recorded = (rows as { checksum: string }[])[0]?.checksum;
    if (recorded === undefined) {
      await connection.query(migration.sql);
      await connection.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES ($1, $2)`, [
        migration.name,
        migration.checksum,
      ]);
    }
    await connection.query('COMMIT');
    return recorded;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    const cause = toDatabaseError(error, `Migration ${migration.name}`);
    throw new MigrationError(migration.name, cause.message);
  }
}

async function migrateOnConnection(connection: Queryable, files: MigrationFile[]): Promise<MigrationResult> {
  const recorded = await prepareMigrationsTable(connection);
  const known = new Set(files.map((file) => file.name));
  const result: MigrationResult = {
    applied: [],
    alreadyApplied: [],
    unknown: [...recorded.keys()].filter((name) => !known.has(name)),
  };

  for (const file of files) {
    const checksum = recorded.get(file.name) ?? (await applyInTransaction(connection, file));
    if (checksum === undefined) result.applied.push(file.name);
    else if (checksum !== file.checksum) throw new MigrationChecksumMismatchError(file.name);
    else result.alreadyApplied.push(file.name);
  }
  return result;
}

// Runs on one handle from this process wait for each other. Across sessions the advisory lock does this, but
// callers sharing one session (PGlite, a single Client) would interleave their transactions, so they need this too.
const runsInProgress = new WeakMap<object, Promise<unknown>>();

function oneAtATime<T>(handle: object, run: () => Promise<T>): Promise<T> {
  const previous = runsInProgress.get(handle) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(run);
  runsInProgress.set(handle, next);
  return next;
}

/**
 * Applies the migrations in order, each in its own transaction, recording name and checksum.
 * Concurrent runners wait on an advisory lock; a second run is a no-op; a migration edited after it
 * was applied is refused.
 */
export async function migrate(db: DatabaseInput, options: MigrateOptions = {}): Promise<MigrationResult> {
  const files = await readMigrations(options.directory ?? MIGRATIONS_DIRECTORY);
  try {
    const database = toDatabase(db);
    return await oneAtATime(db, () => database.withConnection((connection) => migrateOnConnection(connection, files)));
  } catch (error) {
    if (error instanceof SecretStoreError) throw error;
    throw toDatabaseError(error, 'Migration');
  }
}

export interface MigrationStatus {
  /** Applied, in order, each with whether its file still matches the recorded checksum. */
  applied: { name: string; changed: boolean }[];
  /** Known to this package and not applied yet. */
  pending: string[];
  /** Applied, but unknown to this package. */
  unknown: string[];
}

/** What migrate() would do, without doing it. */
export async function migrationStatus(db: DatabaseInput, options: MigrateOptions = {}): Promise<MigrationStatus> {
  const files = await readMigrations(options.directory ?? MIGRATIONS_DIRECTORY);
  try {
    const database = toDatabase(db);
    const { rows } = await database.query('SELECT to_regclass($1) IS NOT NULL AS "present"', [MIGRATIONS_TABLE]);
    const recorded = (rows as { present: boolean }[])[0]?.present
      ? await recordedMigrations(database)
      : new Map<string, string>();
    const known = new Set(files.map((file) => file.name));
    return {
      applied: files
        .filter((file) => recorded.has(file.name))
        .map((file) => ({ name: file.name, changed: recorded.get(file.name) !== file.checksum })),
      pending: files.filter((file) => !recorded.has(file.name)).map((file) => file.name),
      unknown: [...recorded.keys()].filter((name) => !known.has(name)),
    };
  } catch (error) {
    throw toDatabaseError(error, 'Reading migration status');
  }
}
