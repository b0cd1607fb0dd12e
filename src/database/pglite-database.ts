import { TransactionAbortedError } from '../errors';
import { fromConnection } from './connection-database';
import { hasPGliteListen, listenWithPGlite } from './notification-listener';
import type { Database, PGliteLike, PGliteTransactionLike, Queryable, QueryResultLike } from './database';

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

export function fromPGlite(db: PGliteLike): Database {
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
    listen: hasPGliteListen(db) ? listenWithPGlite(db) : undefined,
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
