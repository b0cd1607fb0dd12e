import { TransactionAbortedError } from '../errors';
import { isObject } from '../unknown-value';
import { fromConnection } from './connection-database';
import type {
  Database,
  NamedStatement,
  PoolClientLike,
  PoolLike,
  PoolStatementTimeout,
  Queryable,
  QueryResultLike,
} from './database';
import {
  CommitFailed,
  ConnectionNotObtained,
  isReadOnlyRefusal,
  isStatementTimeoutRefused,
  StatementCancelled,
} from './driver-errors';
import { clientConfigOfPool, listenWithPg } from './notification-listener';
import { statementName } from './statement-name';
import type { StatementOptions } from './to-database';

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

const withCallerStack = (error: unknown): never => {
  // As node-postgres' promise form does: a stack that leads back to the caller, not to the socket's read.
  if (error instanceof Error) Error.captureStackTrace(error);
  throw error;
};

/** A promise, of whichever library: a client that answers through one instead of the callback. */
function isThenable(value: unknown): value is PromiseLike<QueryResultLike> {
  return isObject(value) && typeof value.then === 'function';
}

/**
 * Sends a statement in node-postgres' callback form: against its promise form, this halved the GC time of a
 * 1,000-row list and took about 1 µs of CPU off each row (scripts/profile-reads.ts). A client that answers
 * with a promise instead is served through that.
 */
function send(
  client: PoolClientLike,
  statement: string | NamedStatement,
  values?: unknown[],
): Promise<QueryResultLike> {
  return new Promise<QueryResultLike>((resolve, reject) => {
    const settle = (error: Error | null | undefined, result?: QueryResultLike) => {
      if (error) reject(error);
      else resolve(result as QueryResultLike);
    };
    const returned =
      typeof statement === 'string' ? client.query(statement, values, settle) : client.query(statement, settle);
    if (isThenable(returned)) returned.then(resolve, reject);
  }).catch(withCallerStack);
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

/** The statement timeout a pool's connections carry, in milliseconds: ours, or one an application set on its pool. */
function timeoutMillisOf(pool: PoolLike, timeout: PoolStatementTimeout | undefined): number | undefined {
  if (timeout !== undefined) return timeout.millis;
  const configured = (pool as { options?: { statement_timeout?: unknown } }).options?.statement_timeout;
  return typeof configured === 'number' && configured > 0 ? configured : undefined;
}

/**
 * Runs a query; a 57014 it fails with is a cancel, not the timeout, when no timeout is set or the statement
 * had not run that long (the client's clock starts before the server's).
 */
function telling57014Apart<T>(timeoutMillis: number | undefined, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return run().catch((error: unknown) => {
    if (isObject(error) && error.code === '57014') {
      if (timeoutMillis === undefined || performance.now() - started < timeoutMillis)
        throw new StatementCancelled(error);
    }
    throw error;
  });
}

/** Where the WAL ends after a commit: at or past the commit's record, whatever synchronous_commit says. */
const COMMIT_POSITION_QUERY = 'SELECT pg_current_wal_insert_lsn()::text AS position';

/**
 * Told the primary's WAL position after each commit of a Database made with it, read on the connection that
 * committed once COMMIT has returned; undefined when it could not be read.
 */
export type CommitPositionListener = (position: string | undefined) => void;

/**
 * A Database over `pool`. With `commitPositions`, every statement, transaction and connection it runs is
 * followed by a read of the WAL position, for a store that reads from replicas to know when they have its writes.
 */
export function fromPool(
  pool: PoolLike,
  options: StatementOptions,
  commitPositions?: CommitPositionListener,
): Database {
  const listenConfig = options.listen ?? clientConfigOfPool(pool);
  let prepared = options.preparedStatements ?? true;
  const timeout = statementTimeoutOf(pool);
  const timeoutMillis = timeoutMillisOf(pool, timeout);
  const timed = <T>(run: () => Promise<T>): Promise<T> => telling57014Apart(timeoutMillis, run);
  /** A transaction's connection, its statements timed like single ones. */
  const timedConnection = (client: PoolClientLike): Queryable => ({
    query: (text, values) => timed(() => send(client, text, values)),
  });

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
      const result = await work(client, (why) => {
        discarded = why;
      });
      if (commitPositions !== undefined) await reportPosition(client);
      return result;
    } catch (error) {
      // A server that stopped taking writes (a primary demoted behind a pooler) refuses them on this connection
      // for good: it goes, and the pool's next one is checked (several servers listed) or fails the same way.
      if (isReadOnlyRefusal(error)) discarded ??= error;
      throw error;
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
    if (!prepared) return timed(() => send(client, text, values));
    try {
      return await timed(() => send(client, { name: statementName(text), text, values }));
    } catch (error) {
      if (!isSessionNotOwned(error)) throw error;
      prepared = false;
      return timed(() => send(client, text, values));
    }
  };

  /** After the work succeeded: a failure here must not fail it, only leave the position unknown. */
  const reportPosition = async (client: PoolClientLike): Promise<void> => {
    let position: string | undefined;
    try {
      const { rows } = await runAlone(client, COMMIT_POSITION_QUERY, []);
      position = (rows[0] as { position: string }).position;
    } catch {
      position = undefined;
    }
    commitPositions?.(position);
  };

  const statement = (text: string, values: unknown[]): Promise<QueryResultLike> =>
    onClient(async (client, discard) => {
      const timeoutSetting = localTimeout();
      if (timeoutSetting === undefined) return runAlone(client, text, values);
      // Only a transaction carries SET LOCAL: the statement gets a short one of its own, in one round trip.
      await client.query(`BEGIN; ${timeoutSetting}`);
      try {
        const result = await timed(() => send(client, text, values));
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
        const result = await work(fromConnection(timedConnection(client))).catch(async (error: unknown) => {
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
    listen: listenConfig === undefined ? undefined : listenWithPg(listenConfig),
  };
}
