import type {
  Database,
  DatabaseInput,
  PGliteLike,
  PGliteTransactionLike,
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
  return isObject(db) && typeof db.withConnection === 'function' && 'transaction' in db;
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
    // PGlite is a single session: queries from other callers queue behind an open transaction.
    withConnection: (work) => work(queryable),
    transaction: (work) => db.transaction((tx) => work(pgliteQueryable(tx))),
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

function fromPool(pool: PoolLike): Database {
  // `work` may hand back an Error to have the connection destroyed instead of returned to the pool.
  const onClient = async <T>(work: (client: Queryable, discard: (why: Error) => void) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let discarded: Error | undefined;
    try {
      return await work(client, (why) => {
        discarded = why;
      });
    } finally {
      client.release(discarded);
    }
  };
  return {
    query: (text, values) => pool.query(text, values),
    withConnection: (work) => onClient((client) => work(client)),
    transaction: (work) =>
      onClient(async (client, discard) => {
        await client.query('BEGIN');
        try {
          const result = await work(client);
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
    withConnection: (work) => work(connection),
    transaction: undefined,
  };
}

/**
 * Wraps a pg Pool, a PGlite instance, or any single connection (pg Client, PoolClient, a PGlite transaction)
 * as a Database.
 */
export function toDatabase(db: DatabaseInput | Database): Database {
  if (isDatabase(db)) return db;
  if (isPGlite(db)) return fromPGlite(db);
  if (isPool(db)) return fromPool(db);
  if (isPGliteConnection(db)) return fromConnection(pgliteQueryable(db));
  return fromConnection(db);
}
