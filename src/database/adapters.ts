import { createHash } from 'node:crypto';

import { ConnectionNotObtained } from './driver-errors';
import type {
  Database,
  DatabaseInput,
  PGliteLike,
  PGliteTransactionLike,
  PoolClientLike,
  PoolLike,
  Queryable,
  QueryResultLike,
} from './queryable';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isPGlite(db: unknown): db is PGliteLike {
  return isObject(db) && typeof db.transaction === 'function' && typeof db.exec === 'function';
}

export function isPool(db: unknown): db is PoolLike {
  return isObject(db) && typeof db.connect === 'function' && typeof db.totalCount === 'number';
}

/** A PGlite transaction handle: PGlite's query/exec, without transactions of its own. */
function isPGliteConnection(db: unknown): db is PGliteTransactionLike {
  return isObject(db) && typeof db.exec === 'function' && typeof db.query === 'function';
}

export function isDatabase(db: unknown): db is Database {
  return (
    isObject(db) && typeof db.withConnection === 'function' && typeof db.statement === 'function' && 'transaction' in db
  );
}

export interface DatabaseOptions {
  /**
   * Prepare the store's statements once per pooled connection (node-postgres named statements). Default
   * true; turn off behind a connection pooler that cannot keep prepared statements (PgBouncer in
   * transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

const statementNames = new Map<string, string>();

/**
 * A name for a statement's text, the same in every copy of the package loaded in the process (ESM and
 * CommonJS may share one pool): node-postgres refuses one name for two different texts on a connection.
 */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `secretstore_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * PGlite reports `affectedRows` where node-postgres reports `rowCount`. Like node-postgres, a query
 * without values goes through the simple protocol, so a migration file may hold several statements.
 */
export function pgliteQueryable(db: PGliteTransactionLike): Queryable {
  return {
    async query(text: string, values?: unknown[]): Promise<QueryResultLike> {
      const result = values === undefined ? (await db.exec(text)).at(-1) : await db.query(text, values);
      const rows = result?.rows ?? [];
      return { rows, rowCount: result?.affectedRows ?? rows.length };
    },
  };
}

function fromPGlite(db: PGliteLike): Database {
  const queryable = pgliteQueryable(db);
  return {
    query: (text, values) => queryable.query(text, values),
    statement: (text, values) => queryable.query(text, values),
    // PGlite is a single session: queries from other callers queue behind an open transaction.
    withConnection: (work) => work(queryable),
    transaction: (work) => db.transaction((tx) => work(fromConnection(pgliteQueryable(tx)))),
  };
}

async function rollbackQuietly(client: Queryable): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error('ROLLBACK failed');
  }
}

const absorbError = (): void => {
  // The failed query rejects with the same error; this listener only keeps the event from going unhandled.
};

/**
 * A client of the pool, already listening for 'error'. A checked-out client whose connection drops emits
 * 'error', and unheard that event ends the process. node-postgres can read a FATAL message in the same chunk
 * as the one that completes the connection, before a promise continuation would run: so the listener is
 * attached in the pool's callback, synchronously. A pool with only the promise form is served through it.
 */
function acquire(pool: PoolLike): Promise<PoolClientLike> {
  return new Promise((resolve, reject) => {
    const handOver = (error: unknown, client: PoolClientLike | undefined) => {
      if (error !== undefined && error !== null) reject(new ConnectionNotObtained(error));
      else if (client === undefined) reject(new ConnectionNotObtained(new Error('the pool returned no client')));
      else {
        client.on?.('error', absorbError);
        resolve(client);
      }
    };
    const returned = pool.connect((error, client) => handOver(error, client));
    if (returned instanceof Promise) {
      (returned as Promise<PoolClientLike>).then(
        (client) => handOver(undefined, client),
        (error: unknown) => handOver(error, undefined),
      );
    }
  });
}

// 42P05: a statement of that name already exists in the session; 26000: the session has no such statement.
// Both come from Parse or Bind, before anything runs, when connections do not own their sessions.
const SESSION_NOT_OWNED_SQLSTATES = new Set(['42P05', '26000']);

function isSessionNotOwned(error: unknown): boolean {
  const code = isObject(error) ? error.code : undefined;
  return typeof code === 'string' && SESSION_NOT_OWNED_SQLSTATES.has(code);
}

function fromPool(pool: PoolLike, options: DatabaseOptions): Database {
  let prepared = options.preparedStatements ?? true;
  /**
   * Behind a transaction pooler, or a server that shares one session among connections (PGlite served over
   * a socket), a connection cannot keep its prepared statements. The statement failed before it ran, so it
   * is sent again unnamed, and so is everything after it.
   */
  const runStatement = async (client: PoolClientLike, text: string, values: unknown[], inTransaction: boolean) => {
    if (!prepared) return client.query(text, values);
    try {
      return await client.query({ name: statementName(text), text, values });
    } catch (error) {
      if (!isSessionNotOwned(error)) throw error;
      prepared = false;
      // Inside a transaction the failure has aborted it: only the caller can start it again.
      if (inTransaction) throw error;
      return client.query(text, values);
    }
  };

  // `work` may hand back an Error to have the connection destroyed instead of returned to the pool.
  const onClient = async <T>(
    work: (client: PoolClientLike, discard: (why: Error) => void) => Promise<T>,
  ): Promise<T> => {
    const client = await acquire(pool);
    let discarded: Error | undefined;
    try {
      return await work(client, (why) => {
        discarded = why;
      });
    } finally {
      // A client whose connection failed is no longer queryable: node-postgres' pool drops it on release.
      client.removeListener?.('error', absorbError);
      client.release(discarded);
    }
  };

  const clientDatabase = (client: PoolClientLike): Database => ({
    query: (text, values) => client.query(text, values),
    statement: (text, values) => runStatement(client, text, values, true),
    withConnection: (work) => work(client),
    transaction: undefined,
  });

  return {
    query: (text, values) => onClient((client) => client.query(text, values)),
    statement: (text, values) => onClient((client) => runStatement(client, text, values, false)),
    withConnection: (work) => onClient((client) => work(client)),
    transaction: (work) =>
      onClient(async (client, discard) => {
        await client.query('BEGIN');
        try {
          const result = await work(clientDatabase(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          // If even ROLLBACK fails, the connection is in an unknown state: it must not go back to the pool.
          const rollbackError = await rollbackQuietly(client);
          if (rollbackError) discard(rollbackError);
          throw error;
        }
      }),
  };
}

function fromConnection(connection: Queryable): Database {
  return {
    query: (text, values) => connection.query(text, values),
    statement: (text, values) => connection.query(text, values),
    withConnection: (work) => work(connection),
    transaction: undefined,
  };
}

/**
 * Wraps a pg Pool, a PGlite instance, or any single connection (pg Client, PoolClient, a PGlite transaction)
 * as a Database.
 */
export function toDatabase(db: DatabaseInput | Database, options: DatabaseOptions = {}): Database {
  if (isDatabase(db)) return db;
  if (isPGlite(db)) return fromPGlite(db);
  if (isPool(db)) return fromPool(db, options);
  if (isPGliteConnection(db)) return fromConnection(pgliteQueryable(db));
  return fromConnection(db);
}
