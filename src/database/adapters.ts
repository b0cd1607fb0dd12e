import { createHash } from 'node:crypto';

import { TransactionAbortedError } from '../errors';
import { CommitFailed, ConnectionNotObtained, isStatementTimeoutRefused } from './driver-errors';
import type {
  Database,
  DatabaseInput,
  PGliteLike,
  PGliteTransactionLike,
  PoolClientLike,
  PoolLike,
  PoolStatementTimeout,
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
   * Prepare the store's single statements once per pooled connection (node-postgres named statements).
   * Default true: behind a pooler whose connections do not keep them (PgBouncer in transaction mode) the
   * store notices and stops. false: never name them. Statements inside a transaction are never named.
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
    transaction: (work) =>
      db.transaction(async (tx) => {
        const watched = failureWatching(pgliteQueryable(tx));
        const result = await work(fromConnection(watched));
        // PGlite's COMMIT of an aborted transaction rolls back without a word: refuse to report success.
        if (watched.failed) throw new TransactionAbortedError();
        return result;
      }),
  };
}

/** A connection that remembers whether any statement failed: in PostgreSQL, any error aborts the transaction. */
function failureWatching(connection: Queryable): Queryable & { readonly failed: boolean } {
  let failed = false;
  return {
    get failed() {
      return failed;
    },
    query: (text, values) =>
      connection.query(text, values).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
  };
}

/** ROLLBACK, and if even that fails the connection is in an unknown state: it must not go back to the pool. */
async function rollbackOrDiscard(client: Queryable, discard: (why: Error) => void): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch (error) {
    discard(error instanceof Error ? error : new Error('ROLLBACK failed'));
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

/** A pool from createPool that has a statement timeout (see StatementTimeout in pool.ts). */
function statementTimeoutOf(pool: PoolLike): PoolStatementTimeout | undefined {
  const timeout = (pool as { statementTimeout?: unknown }).statementTimeout;
  // The value is written into SQL text: only a whole number will do.
  return isObject(timeout) && Number.isSafeInteger(timeout.millis) && typeof timeout.stopSendingAtStartup === 'function'
    ? (timeout as unknown as PoolStatementTimeout)
    : undefined;
}

function fromPool(pool: PoolLike, options: DatabaseOptions): Database {
  let prepared = options.preparedStatements ?? true;
  const timeout = statementTimeoutOf(pool);

  /**
   * A pooler (PgBouncer) refuses `statement_timeout` as a startup parameter: the pool's new connections go
   * without it, and the store sets it in each of its transactions instead.
   */
  const connect = async (): Promise<PoolClientLike> => {
    try {
      return await acquire(pool);
    } catch (error) {
      if (timeout === undefined || !isStatementTimeoutRefused(error)) throw error;
      timeout.stopSendingAtStartup();
      return acquire(pool);
    }
  };

  /**
   * The timeout for a transaction, once connections no longer carry it. Behind a transaction pooler only SET
   * LOCAL stays with the server session that runs the transaction; a plain SET would stay behind for the
   * pooler's next client.
   */
  const localTimeout = (): string | undefined =>
    timeout === undefined || timeout.sentAtStartup ? undefined : `SET LOCAL statement_timeout = ${timeout.millis}`;

  // `work` may hand back an Error to have the connection destroyed instead of returned to the pool.
  const onClient = async <T>(
    work: (client: PoolClientLike, discard: (why: Error) => void) => Promise<T>,
  ): Promise<T> => {
    const client = await connect();
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

  /**
   * One of the store's statements on its own, named where that is still on. Behind a transaction pooler (or
   * PGlite served over a socket) the server session changes under a connection from one transaction to the
   * next, so a name may already exist there (42P05) or be missing (26000); either fails before anything runs.
   * The statement is then sent again unnamed, and so is everything after it.
   */
  const runAlone = async (client: PoolClientLike, text: string, values: unknown[]): Promise<QueryResultLike> => {
    if (!prepared) return client.query(text, values);
    try {
      return await client.query({ name: statementName(text), text, values });
    } catch (error) {
      if (!isSessionNotOwned(error)) throw error;
      prepared = false;
      return client.query(text, values);
    }
  };

  const statement = (text: string, values: unknown[]): Promise<QueryResultLike> =>
    onClient(async (client, discard) => {
      const timeoutSetting = localTimeout();
      if (timeoutSetting === undefined) return runAlone(client, text, values);
      // Only a transaction carries SET LOCAL: the statement gets a short one of its own, in one round trip.
      await client.query(`BEGIN; ${timeoutSetting}`);
      try {
        const result = await client.query(text, values);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await rollbackOrDiscard(client, discard);
        throw error;
      }
    });

  return {
    query: (text, values) => onClient((client) => client.query(text, values)),
    statement,
    withConnection: (work) => onClient((client) => work(client)),
    transaction: (work) =>
      onClient(async (client, discard) => {
        const timeoutSetting = localTimeout();
        await client.query(timeoutSetting === undefined ? 'BEGIN' : `BEGIN; ${timeoutSetting}`);
        // Statements inside go unnamed: a failed Parse would abort the transaction, and a pooler may have
        // handed it a server session that holds the name already, or lacks it.
        const result = await work(fromConnection(client)).catch(async (error: unknown) => {
          await rollbackOrDiscard(client, discard);
          throw error;
        });
        let committed: QueryResultLike;
        try {
          committed = await client.query('COMMIT');
        } catch (error) {
          await rollbackOrDiscard(client, discard);
          // Lost once sent, a COMMIT may have been applied: toDatabaseError tells that from a rollback.
          throw new CommitFailed(error);
        }
        // The COMMIT of a transaction a failed statement aborted succeeds, as a ROLLBACK: nothing was written.
        if (committed.command === 'ROLLBACK') throw new TransactionAbortedError();
        return result;
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
