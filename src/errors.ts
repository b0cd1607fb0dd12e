/**
 * Every error this package throws extends SecretStoreError and carries a stable, literal `code`: one class per
 * condition, all of them in this file. Messages name keys, paths, settings and SQLSTATEs; never a secret value,
 * key material or SQL parameter.
 */

/** The stable codes of the package's errors: branch on these (or use isSecretStoreError), never on messages. */
export type SecretStoreErrorCode =
  | 'INVALID_SECRET_KEY'
  | 'INVALID_SECRET_VALUE'
  | 'SECRET_VALUE_TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_VERSION_NOT_FOUND'
  | 'SECRET_EXPIRED'
  | 'SECRET_VERSION_CONFLICT'
  | 'SECRET_VALIDATION_FAILED'
  | 'SECRET_CORRUPT'
  | 'SECRET_DECRYPTION_FAILED'
  | 'AUDIT_TRAIL_INVALID'
  | 'ENCRYPTION_KEY_MISMATCH'
  | 'INVALID_CONFIGURATION'
  | 'STORE_NOT_FOUND'
  | 'TRANSACTION_UNSUPPORTED'
  | 'TRANSACTION_CLOSED'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'DATABASE_ERROR'
  | 'DATABASE_UNAVAILABLE'
  | 'WRITE_OUTCOME_UNKNOWN'
  | 'CONNECTION_ACQUIRE_TIMEOUT'
  | 'STATEMENT_TIMEOUT'
  | 'STATEMENT_CANCELLED'
  | 'TRANSACTION_CONFLICT'
  | 'TRANSACTION_ABORTED'
  | 'SCHEMA_NOT_MIGRATED';

// Global, so that an error from one copy of the package (ESM and CommonJS side by side) is known to another,
// where instanceof fails.
const SECRET_STORE_ERROR = Symbol.for('@kongflow/secretstore.SecretStoreError');

export abstract class SecretStoreError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** Set on the prototype: what isSecretStoreError looks for. */
  declare readonly [SECRET_STORE_ERROR]: true;
}
Object.defineProperty(SecretStoreError.prototype, SECRET_STORE_ERROR, { value: true });

/** Renders a key for a message: quoted, escaped and truncated so that it stays one readable line. */
export function describeKey(key: unknown): string {
  if (typeof key !== 'string') return `<${key === null ? 'null' : typeof key}>`;
  const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  return JSON.stringify(shown);
}

export class InvalidSecretKeyError extends SecretStoreError {
  readonly code = 'INVALID_SECRET_KEY' as const;
  /** The key, when it was a string. Anything else is not kept: it may be a secret passed in the wrong place. */
  readonly key: string | undefined;

  constructor(
    key: unknown,
    readonly reason: string,
  ) {
    super(`Invalid secret key ${describeKey(key)}: ${reason}`);
    this.key = typeof key === 'string' ? key : undefined;
  }
}

export class InvalidSecretValueError extends SecretStoreError {
  readonly code: 'INVALID_SECRET_VALUE' | 'SECRET_VALUE_TOO_LARGE' = 'INVALID_SECRET_VALUE';

  constructor(
    readonly key: string,
    /** JSONPath-like location of the offending part, `$` for the value itself. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Invalid value for secret ${describeKey(key)} at ${path}: ${reason}`);
  }
}

export class SecretValueTooLargeError extends InvalidSecretValueError {
  override readonly code = 'SECRET_VALUE_TOO_LARGE' as const;

  constructor(
    key: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(key, '$', `its JSON is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`);
  }
}

export class SecretNotFoundError extends SecretStoreError {
  readonly code = 'SECRET_NOT_FOUND' as const;

  constructor(readonly key: string) {
    super(`Secret ${describeKey(key)} was not found`);
  }
}

/** A version that does not exist, was destroyed, or fell out of retention: it has no value to restore. */
export class SecretVersionNotFoundError extends SecretStoreError {
  readonly code = 'SECRET_VERSION_NOT_FOUND' as const;

  constructor(
    readonly key: string,
    readonly version: number,
  ) {
    super(
      `Version ${version} of secret ${describeKey(key)} was not found (never written, destroyed, or no longer kept)`,
    );
  }
}

/** A read of a secret past its expiresAt, by a store built with `rejectExpired: true`. */
export class SecretExpiredError extends SecretStoreError {
  readonly code = 'SECRET_EXPIRED' as const;

  constructor(
    readonly key: string,
    readonly expiresAt: Date,
  ) {
    super(
      `Secret ${describeKey(key)} expired at ${expiresAt instanceof Date ? expiresAt.toISOString() : String(expiresAt)}`,
    );
  }
}

/**
 * The audit trail does not verify, so it cannot be sealed: a checkpoint would vouch for records that may have
 * been forged or changed. `problem` says where; verifyAuditTrail reports the same.
 */
export class AuditTrailInvalidError extends SecretStoreError {
  readonly code = 'AUDIT_TRAIL_INVALID' as const;

  constructor(readonly problem: string) {
    super(`The audit trail does not verify: ${problem}`);
  }
}

export class SecretValidationError extends SecretStoreError {
  readonly code = 'SECRET_VALIDATION_FAILED' as const;

  constructor(
    readonly key: string,
    /** Where the stored value failed the schema, as `$.a.b[0]` paths. The schema's messages are left out: they may quote the value. */
    readonly paths: readonly string[],
  ) {
    super(`Secret ${describeKey(key)} does not match the schema at ${paths.join(', ')}`);
  }
}

/** A stored row that cannot be decoded (for example text that is not JSON). */
export class SecretCorruptError extends SecretStoreError {
  readonly code = 'SECRET_CORRUPT' as const;

  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`Stored secret ${describeKey(key)} cannot be read: ${reason}`);
  }
}

export class SecretStoreConfigError extends SecretStoreError {
  readonly code = 'INVALID_CONFIGURATION' as const;

  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`Invalid configuration ${setting}: ${problem}`);
  }
}

/**
 * `createSecretStore({ createIfMissing: false })` found no embedded database in the data folder, and created
 * nothing: no folder, key or database.
 */
export class StoreNotFoundError extends SecretStoreError {
  readonly code = 'STORE_NOT_FOUND' as const;

  constructor(readonly dataDir: string) {
    super(`No secret store in ${dataDir}: it holds no database yet`);
  }
}

/**
 * A server (or a handle) was given without a keyring: keys are generated only for the embedded database,
 * never for one that others share. The setting is SECRETSTORE_ENCRYPTION_KEYS, or `encryption`.
 */
export class KeyringRequiredError extends SecretStoreConfigError {
  constructor(
    /** What needs it: `a PostgreSQL server`, `a store over an application handle`. */
    readonly where: string,
  ) {
    super(
      'SECRETSTORE_ENCRYPTION_KEYS',
      `is not set, and ${where} needs a keyring: keys are generated only for the embedded database, never for a ` +
        "shared one. Set it (see generateEncryptionKey) or pass { encryption } ('none' for plaintext in development)",
    );
  }
}

export class TransactionUnsupportedError extends SecretStoreError {
  readonly code = 'TRANSACTION_UNSUPPORTED' as const;

  constructor() {
    super(
      'This store runs on a single connection that the caller manages: begin and commit the transaction on that connection, ' +
        'or build the store over a pool or a PGlite instance to use transaction()',
    );
  }
}

export class MigrationError extends SecretStoreError {
  readonly code: 'MIGRATION_FAILED' | 'MIGRATION_CHECKSUM_MISMATCH' = 'MIGRATION_FAILED';

  constructor(
    readonly migration: string,
    message: string,
  ) {
    super(message);
  }
}

export class MigrationChecksumMismatchError extends MigrationError {
  override readonly code = 'MIGRATION_CHECKSUM_MISMATCH' as const;

  constructor(migration: string) {
    super(
      migration,
      `Migration ${migration} was changed after it was applied: its checksum differs from the recorded one. ` +
        'Applied migrations must not be edited; add a new migration instead',
    );
  }
}

/**
 * Any failure reported by the database driver, without SQL text parameters or driver details that may quote
 * them. (Not named DatabaseError: that is node-postgres' class for a server's error.)
 */
export class DatabaseOperationError extends SecretStoreError {
  readonly code:
    | 'DATABASE_ERROR'
    | 'DATABASE_UNAVAILABLE'
    | 'WRITE_OUTCOME_UNKNOWN'
    | 'CONNECTION_ACQUIRE_TIMEOUT'
    | 'STATEMENT_TIMEOUT'
    | 'STATEMENT_CANCELLED'
    | 'TRANSACTION_CONFLICT'
    | 'TRANSACTION_ABORTED'
    | 'SCHEMA_NOT_MIGRATED' = 'DATABASE_ERROR';

  constructor(
    readonly operation: string,
    /** The SQLSTATE, when the server sent one. */
    readonly sqlState: string | undefined,
    detail: string,
  ) {
    super(`${operation} failed: ${detail}`);
  }
}

/**
 * The server could not be reached, or the connection was lost. `requestSent` is false only when the failure
 * came before the statement was sent (the connection could not be opened): nothing reached the server.
 */
export class DatabaseUnavailableError extends DatabaseOperationError {
  override readonly code: 'DATABASE_UNAVAILABLE' | 'WRITE_OUTCOME_UNKNOWN' = 'DATABASE_UNAVAILABLE';

  constructor(
    operation: string,
    sqlState: string | undefined,
    detail: string,
    readonly requestSent = true,
  ) {
    super(operation, sqlState, detail);
  }
}

/**
 * The connection was lost after a write was sent and before its acknowledgement arrived, and the store could
 * not tell whether it was applied. Read the secret to find out; nothing was retried blindly.
 */
export class SecretWriteOutcomeUnknownError extends DatabaseUnavailableError {
  override readonly code = 'WRITE_OUTCOME_UNKNOWN' as const;

  constructor(
    operation: string,
    readonly key: string | undefined,
    detail: string,
  ) {
    super(operation, undefined, detail);
  }
}

/** No pooled connection became free (or could be opened) within the pool's `connectionTimeoutMillis`. */
export class ConnectionAcquireTimeoutError extends DatabaseOperationError {
  override readonly code = 'CONNECTION_ACQUIRE_TIMEOUT' as const;
}

/** The statement ran past the statement timeout the store was configured with (57014, after that long). */
export class StatementTimeoutError extends DatabaseOperationError {
  override readonly code = 'STATEMENT_TIMEOUT' as const;
}

/**
 * The server cancelled the statement (57014) although the store's statement timeout had not run out, or none
 * was set: someone cancelled it (pg_cancel_backend, an administrator, a server shutting down a query).
 */
export class StatementCancelledError extends DatabaseOperationError {
  override readonly code = 'STATEMENT_CANCELLED' as const;
}

export class TransactionConflictError extends DatabaseOperationError {
  override readonly code = 'TRANSACTION_CONFLICT' as const;
}

export class SchemaNotMigratedError extends DatabaseOperationError {
  override readonly code = 'SCHEMA_NOT_MIGRATED' as const;
}

/** A stored secret that cannot be decrypted: unknown key id, wrong key, or tampered or swapped ciphertext. */
export class SecretDecryptionError extends SecretStoreError {
  readonly code = 'SECRET_DECRYPTION_FAILED' as const;

  constructor(
    readonly key: string,
    /** The key id the row names, when it names one. */
    readonly keyId: string | undefined,
    readonly reason: string,
  ) {
    super(
      `Secret ${describeKey(key)} cannot be decrypted${keyId === undefined ? '' : ` with key id ${describeKey(keyId)}`}: ${reason}`,
    );
  }
}

/** A compare-and-set write whose expected version was not the stored one. */
export class SecretVersionConflictError extends SecretStoreError {
  readonly code = 'SECRET_VERSION_CONFLICT' as const;

  constructor(
    readonly key: string,
    /** The version the write expected; 0 means "absent". */
    readonly expectedVersion: number,
    /** The stored version now; 0 when the secret does not exist. */
    readonly currentVersion: number,
  ) {
    super(
      `Secret ${describeKey(key)} is at version ${currentVersion === 0 ? '0 (absent)' : currentVersion}, not ${expectedVersion === 0 ? '0 (absent)' : expectedVersion}: it changed since it was read`,
    );
  }
}

/**
 * An argument a caller got wrong (a version that is not a whole number in range, a batch size, a schema
 * that is not a Standard Schema, a list that is not an array). Nothing was read or written.
 */
export class InvalidArgumentError extends SecretStoreError {
  readonly code = 'INVALID_ARGUMENT' as const;

  constructor(
    /** The argument, e.g. `ifVersion` or `schema`. */
    readonly argument: string,
    readonly problem: string,
  ) {
    super(`Invalid argument ${argument}: ${problem}`);
  }
}

/** A store handed to `transaction()`'s callback was used after that transaction had ended. */
export class TransactionClosedError extends SecretStoreError {
  readonly code = 'TRANSACTION_CLOSED' as const;

  constructor(readonly operation: string) {
    super(
      `${operation} was called on a transaction's store after the transaction ended; use the store itself, ` +
        'or call it inside the transaction callback',
    );
  }
}

/**
 * The keyring holds a key under an id that the database knows as another key: the fingerprint recorded when
 * that id first wrote differs. Writing with it would leave values that the real key cannot read.
 */
export class EncryptionKeyMismatchError extends SecretStoreError {
  readonly code = 'ENCRYPTION_KEY_MISMATCH' as const;

  constructor(
    readonly keyId: string,
    detail: string,
  ) {
    super(`Encryption key ${describeKey(keyId)} is not the key this database knows under that id: ${detail}`);
  }
}

/**
 * `transaction()`'s work resolved, but a statement inside it had failed (its error caught and not rethrown),
 * which aborts a PostgreSQL transaction: COMMIT rolled everything back, so nothing of the transaction was
 * written. Rethrow errors inside the work, or let them propagate, so that the transaction fails where it failed.
 */
export class TransactionAbortedError extends DatabaseOperationError {
  override readonly code = 'TRANSACTION_ABORTED' as const;

  constructor() {
    super(
      'Committing transaction',
      '25P02',
      'a statement inside the transaction had failed, so the database rolled the whole transaction back and ' +
        'wrote none of it; the work resolved anyway because it caught that error',
    );
  }
}

/** The class of each code: what isSecretStoreError(error, code) narrows to. */
const ERROR_CLASSES = {
  INVALID_SECRET_KEY: InvalidSecretKeyError,
  INVALID_SECRET_VALUE: InvalidSecretValueError,
  SECRET_VALUE_TOO_LARGE: SecretValueTooLargeError,
  INVALID_ARGUMENT: InvalidArgumentError,
  SECRET_NOT_FOUND: SecretNotFoundError,
  SECRET_VERSION_NOT_FOUND: SecretVersionNotFoundError,
  SECRET_EXPIRED: SecretExpiredError,
  SECRET_VERSION_CONFLICT: SecretVersionConflictError,
  SECRET_VALIDATION_FAILED: SecretValidationError,
  SECRET_CORRUPT: SecretCorruptError,
  SECRET_DECRYPTION_FAILED: SecretDecryptionError,
  AUDIT_TRAIL_INVALID: AuditTrailInvalidError,
  ENCRYPTION_KEY_MISMATCH: EncryptionKeyMismatchError,
  INVALID_CONFIGURATION: SecretStoreConfigError,
  STORE_NOT_FOUND: StoreNotFoundError,
  TRANSACTION_UNSUPPORTED: TransactionUnsupportedError,
  TRANSACTION_CLOSED: TransactionClosedError,
  MIGRATION_FAILED: MigrationError,
  MIGRATION_CHECKSUM_MISMATCH: MigrationChecksumMismatchError,
  DATABASE_ERROR: DatabaseOperationError,
  DATABASE_UNAVAILABLE: DatabaseUnavailableError,
  WRITE_OUTCOME_UNKNOWN: SecretWriteOutcomeUnknownError,
  CONNECTION_ACQUIRE_TIMEOUT: ConnectionAcquireTimeoutError,
  STATEMENT_TIMEOUT: StatementTimeoutError,
  STATEMENT_CANCELLED: StatementCancelledError,
  TRANSACTION_CONFLICT: TransactionConflictError,
  TRANSACTION_ABORTED: TransactionAbortedError,
  SCHEMA_NOT_MIGRATED: SchemaNotMigratedError,
} as const satisfies Record<SecretStoreErrorCode, abstract new (...args: never[]) => SecretStoreError>;

/** Every code, in the order of the table above. */
export const SECRET_STORE_ERROR_CODES = Object.keys(ERROR_CLASSES) as SecretStoreErrorCode[];

/** The error class of a code. */
export type SecretStoreErrorOf<C extends SecretStoreErrorCode> = InstanceType<(typeof ERROR_CLASSES)[C]>;

/**
 * Whether `error` is one of this package's errors — with `code`, one of that exact code. Unlike instanceof,
 * it also knows errors thrown by another copy of the package loaded in the same process (the ESM and the
 * CommonJS build side by side).
 */
export function isSecretStoreError(error: unknown): error is SecretStoreError & { code: SecretStoreErrorCode };
export function isSecretStoreError<C extends SecretStoreErrorCode>(
  error: unknown,
  code: C,
): error is SecretStoreErrorOf<C>;
export function isSecretStoreError(error: unknown, code?: SecretStoreErrorCode): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [SECRET_STORE_ERROR]?: unknown })[SECRET_STORE_ERROR] !== true) return false;
  const actual = (error as { code?: unknown }).code;
  return code === undefined ? SECRET_STORE_ERROR_CODES.includes(actual as SecretStoreErrorCode) : actual === code;
}
