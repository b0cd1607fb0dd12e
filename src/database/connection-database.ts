import type { Database, Queryable } from './database';

/** A single connection the caller manages (a pg Client or PoolClient, a PGlite transaction): no transactions of its own. */
export function fromConnection(connection: Queryable): Database {
  return {
    query: (text, values) => connection.query(text, values),
    statement: (text, values) => connection.query(text, values),
    withConnection: (work) => work(connection),
    transaction: undefined,
  };
}
