import type { Listen } from './notification-listener';

/** What the store needs of a connection: a parameterized query. A pg Pool, Client or PoolClient fits as it is. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
}

export interface QueryResultLike {
  rows: unknown[];
  rowCount?: number | null;
  /** The command tag's verb, where the driver reports it (node-postgres): a COMMIT of an aborted transaction says ROLLBACK. */
  command?: string;
}

/** How node-postgres answers a query sent with a callback. */
export type QueryCallback = (error: Error | null | undefined, result?: QueryResultLike) => void;

/** A statement with a name, which node-postgres prepares once per connection and then only binds. */
export interface NamedStatement {
  name: string;
  text: string;
  values: unknown[];
}

/** The part of node-postgres' Pool the store uses: its connections, to hold one for a transaction. */
export interface PoolLike extends Queryable {
  connect(): Promise<PoolClientLike>;
  /** node-postgres' callback form, which hands the client over synchronously. */
  connect(callback: (error: Error | undefined, client: PoolClientLike | undefined) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
}

export interface PoolClientLike extends Queryable {
  query(statement: NamedStatement): Promise<QueryResultLike>;
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
  /** node-postgres' callback form, which it answers without a promise of its own; a client may return one instead. */
  query(statement: NamedStatement, callback: QueryCallback): unknown;
  query(text: string, values: unknown[] | undefined, callback: QueryCallback): unknown;
  release(destroy?: boolean | Error): void;
  /** node-postgres' clients are EventEmitters: a connection lost while checked out is reported as 'error'. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A pool's statement timeout and how it reaches the server: as a startup parameter, or, once a pooler refused
 * that, set by the store with SET LOCAL in each of its transactions (a pool from createPool carries one).
 */
export interface PoolStatementTimeout {
  readonly millis: number;
  /** False once the server refused the startup parameter: the pool's new connections go without it. */
  readonly sentAtStartup: boolean;
  stopSendingAtStartup(): void;
}

/** The part of PGlite (or a PGlite transaction) the store uses. */
export interface PGliteLike extends PGliteTransactionLike {
  transaction<T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
}

export interface PGliteResultLike {
  rows: unknown[];
  affectedRows?: number;
}

export interface PGliteTransactionLike {
  query(text: string, params?: unknown[]): Promise<PGliteResultLike>;
  exec(text: string): Promise<PGliteResultLike[]>;
}

/** Anything the store can be built over. */
export type DatabaseInput = Queryable | PoolLike | PGliteLike | PGliteTransactionLike;

/**
 * The store's view of a database: queries, plus ways to hold one connection and to run a transaction
 * where the underlying handle allows it.
 */
export interface Database extends Queryable {
  /**
   * Runs one of the store's own fixed statements: prepared once per connection under a name derived from
   * its text where the driver allows it (node-postgres), else like `query`.
   */
  statement(text: string, values: unknown[]): Promise<QueryResultLike>;
  /**
   * Runs one of the store's fixed reads, which a replica may serve (see ReplicatedDatabase); where absent, the
   * read is a `statement` like any other.
   */
  readStatement?(text: string, values: unknown[]): Promise<QueryResultLike>;
  /** Runs one of the store's fixed reads on the primary, as a read (see ReplicatedDatabase); else a `statement`. */
  readOnPrimary?(text: string, values: unknown[]): Promise<QueryResultLike>;
  /** Runs `work` on one connection (the same session throughout), released afterwards. */
  withConnection<T>(work: (connection: Queryable) => Promise<T>): Promise<T>;
  /** Runs `work` in BEGIN … COMMIT, rolling back when it throws; undefined when the handle cannot provide one. */
  readonly transaction: (<T>(work: (tx: Database) => Promise<T>) => Promise<T>) | undefined;
  /**
   * LISTEN on a connection of its own, where the handle can make one (a pg Pool: a client with its settings;
   * PGlite: its own session); undefined otherwise.
   */
  readonly listen?: Listen;
}
