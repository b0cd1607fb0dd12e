import {
  ConnectionAcquireTimeoutError,
  DatabaseOperationError,
  DatabaseUnavailableError,
  SchemaNotMigratedError,
  SecretStoreError,
  SecretWriteOutcomeUnknownError,
  StatementCancelledError,
  StatementTimeoutError,
  TransactionConflictError,
} from '../errors';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // A Unix socket that is not there: no server (or embedded-database holder) listens.
  'ENOENT',
]);

// SQLSTATEs that mean the server is gone or refuses connections now.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

// Server messages of these SQLSTATE classes describe objects and states (08: the connection), not data, so they
// are safe to repeat. Data exceptions (22) and integrity violations (23) can quote a parameter: only the code is kept.
const SAFE_MESSAGE_CLASSES = new Set(['08', '0A', '25', '28', '3D', '3F', '42', '53', '54', '55', '57', '58', 'XX']);

// node-postgres reports a lost or unusable connection with these plain Error messages.
const DRIVER_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end',
];

function stringProperty(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function isSqlState(code: string | undefined): code is string {
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code);
}

// node-postgres' pool reports that no client became free within connectionTimeoutMillis with this message.
const POOL_ACQUIRE_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

/** A failure to obtain a connection for a statement: the statement itself was never sent. */
export class ConnectionNotObtained extends Error {
  constructor(readonly reason: unknown) {
    super('no connection was obtained');
  }
}

/**
 * None of a connection string's servers answered as what its target_session_attrs asks for (during a failover:
 * the primary is gone and no standby has been promoted yet). Nothing was sent.
 */
export class NoTargetServer extends Error {
  constructor(readonly description: string) {
    super(description);
  }
}

/**
 * A statement the server cancelled (57014) before the store's statement timeout could have run out, or with
 * none set: someone else cancelled it. The server says 57014 for both, in a message whose words depend on its
 * locale; the store tells them apart by what it set and how long the statement ran.
 */
export class StatementCancelled extends Error {
  constructor(readonly reason: unknown) {
    super('the statement was cancelled');
  }
}

/** A failure of a transaction's COMMIT itself, as opposed to one of the work before it. */
export class CommitFailed extends Error {
  constructor(readonly reason: unknown) {
    super('COMMIT failed');
  }
}

/** The CHECK constraints that list the encodings a table takes (migration 006 added xchacha20-poly1305). */
const ENCODING_CHECKS = new Set(['secret_store_encoding_check', 'secret_versions_encoding_check']);

// node-postgres refuses a query on a client whose connection has already failed, without sending it.
const NOT_SENT_MESSAGE = 'is not queryable';

/**
 * Turns whatever the driver threw into one of this package's errors; after a ConnectionNotObtained,
 * `requestSent` is false; a CommitFailed is reported as "Committing transaction". The driver's error is not
 * kept as `cause`: its `detail`, `where` and parameters can carry secret values.
 */
export function toDatabaseError(error: unknown, operation: string): SecretStoreError {
  if (error instanceof ConnectionNotObtained) return mapDriverError(error.reason, operation, false);
  if (error instanceof CommitFailed) return commitError(error.reason);
  if (error instanceof StatementCancelled) {
    return new StatementCancelledError(
      operation,
      '57014',
      'the server cancelled the statement before any statement timeout of the store ran out (SQLSTATE 57014)',
    );
  }
  return mapDriverError(error, operation, true);
}

/**
 * A COMMIT that the server answered with an error rolled the transaction back, and so did a connection lost
 * before COMMIT could be sent. A connection lost once COMMIT was sent leaves the outcome unknown: the server
 * may have committed and its answer been lost.
 */
function commitError(reason: unknown): SecretStoreError {
  const operation = 'Committing transaction';
  const error = mapDriverError(reason, operation, true);
  if (!(error instanceof DatabaseUnavailableError)) return error;
  if ((stringProperty(reason, 'message') ?? '').includes(NOT_SENT_MESSAGE)) return error;
  return new SecretWriteOutcomeUnknownError(
    operation,
    undefined,
    `the connection was lost after COMMIT was sent (${error.message.slice(`${operation} failed: `.length)}), and ` +
      'whether the transaction was committed cannot be told; read back what it wrote to find out',
  );
}

/** 25006: the server refused a write in a read-only transaction (a standby, or a demoted primary). Nothing ran. */
export function isReadOnlyRefusal(error: unknown): error is Error {
  return error instanceof Error && stringProperty(error, 'code') === '25006';
}

/** A server (a pooler such as PgBouncer) refused the `statement_timeout` startup parameter: 08P01 at connect. */
export function isStatementTimeoutRefused(error: unknown): boolean {
  const reason = error instanceof ConnectionNotObtained ? error.reason : error;
  return (
    stringProperty(reason, 'code') === '08P01' &&
    /unsupported startup parameter.*statement_timeout/.test(stringProperty(reason, 'message') ?? '')
  );
}

function mapDriverError(error: unknown, operation: string, requestSent: boolean): SecretStoreError {
  if (error instanceof SecretStoreError) return error;
  if (error instanceof NoTargetServer) {
    return new DatabaseUnavailableError(operation, undefined, error.description, false);
  }

  const code = stringProperty(error, 'code');
  const message = stringProperty(error, 'message') ?? String(error);

  if (message.includes(POOL_ACQUIRE_TIMEOUT_MESSAGE)) {
    return new ConnectionAcquireTimeoutError(
      operation,
      undefined,
      'no pooled connection became free within connectionTimeoutMillis (the pool is exhausted)',
    );
  }
  // Socket codes such as EPIPE look like SQLSTATEs (five capitals): recognise them first.
  if (
    (code !== undefined && CONNECTION_ERROR_CODES.has(code)) ||
    DRIVER_CONNECTION_MESSAGES.some((fragment) => message.includes(fragment))
  ) {
    return new DatabaseUnavailableError(operation, undefined, message, requestSent);
  }
  if (isSqlState(code)) {
    const sqlClass = code.slice(0, 2);
    const safeMessage = SAFE_MESSAGE_CLASSES.has(sqlClass) ? `${message} ` : '';
    const detail = `${safeMessage}(SQLSTATE ${code})`;
    if (sqlClass === '08' || UNAVAILABLE_SQLSTATES.has(code)) {
      return new DatabaseUnavailableError(operation, code, detail, requestSent);
    }
    // The server takes no writes (now): not the primary. Refused before anything changed, so it may be sent again.
    if (code === '25006') return new DatabaseUnavailableError(operation, code, detail, false);
    if (code === '57014') return new StatementTimeoutError(operation, code, detail);
    if (code === '40001' || code === '40P01') return new TransactionConflictError(operation, code, detail);
    if (code === '42P01') {
      return new SchemaNotMigratedError(
        operation,
        code,
        `${detail}: the database has no secret store schema yet; run migrate() on it first`,
      );
    }
    // A value of an encoding a pending migration adds (XChaCha20-Poly1305 before 006): named by the constraint only.
    if (code === '23514' && ENCODING_CHECKS.has(stringProperty(error, 'constraint') ?? '')) {
      return new SchemaNotMigratedError(
        operation,
        code,
        `${detail}: the table does not take this encoding yet; run migrate() (or secretstore migrate) first`,
      );
    }
    return new DatabaseOperationError(operation, code, detail);
  }

  return new DatabaseOperationError(operation, undefined, error instanceof Error ? error.name : 'unknown driver error');
}
