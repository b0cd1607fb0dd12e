import { isObject } from '../unknown-value';
import { fromConnection } from './connection-database';
import type { ListenConfig } from './notification-listener';
import type { Database, DatabaseInput, PGliteLike, PGliteTransactionLike, PoolLike } from './database';
import { fromPGlite, pgliteQueryable } from './pglite-database';
import { fromPool } from './pool-database';

function isPGlite(db: unknown): db is PGliteLike {
  return isObject(db) && typeof db.transaction === 'function' && typeof db.exec === 'function';
}

export function isPool(db: unknown): db is PoolLike {
  return isObject(db) && typeof db.connect === 'function' && typeof db.totalCount === 'number';
}

/** A PGlite transaction handle: PGlite's query/exec, without transactions of its own. */
function isPGliteConnection(db: unknown): db is PGliteTransactionLike {
  return isObject(db) && typeof db.exec === 'function' && typeof db.query === 'function';
}

function isDatabase(db: unknown): db is Database {
  return (
    isObject(db) && typeof db.withConnection === 'function' && typeof db.statement === 'function' && 'transaction' in db
  );
}

export interface StatementOptions {
  /**
   * Prepare the store's single statements once per pooled connection (node-postgres named statements).
   * Default true: behind a pooler whose connections do not keep them (PgBouncer in transaction mode) the
   * store notices and stops. false: never name them. Statements inside a transaction are never named.
   */
  preparedStatements?: boolean;
  /**
   * Where a pool's LISTEN connection goes (a store's cache and change feed): default the pool's own settings.
   * Behind PgBouncer in transaction mode, which does not keep a LISTEN, the server itself or a session-mode pool.
   */
  listen?: ListenConfig;
}

/**
 * Wraps a pg Pool, a PGlite instance, or any single connection (pg Client, PoolClient, a PGlite transaction)
 * as a Database.
 */
export function toDatabase(db: DatabaseInput | Database, options: StatementOptions = {}): Database {
  if (isDatabase(db)) return db;
  if (isPGlite(db)) return fromPGlite(db);
  if (isPool(db)) return fromPool(db, options);
  if (isPGliteConnection(db)) return fromConnection(pgliteQueryable(db));
  return fromConnection(db);
}
