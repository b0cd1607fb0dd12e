// The package's public face: what an application needs to store, read, migrate and test with secrets.

export {
  SecretStore,
  MAX_VERSION,
  type SecretEntry,
  type SecretMetadata,
  type SecretWithMetadata,
  type SetSecretOptions,
  type StoreDescription,
} from './secretstore/secret-store';
export type { SecretStoreOptions } from './secretstore/secret-store-options';
export type { RetryOptions } from './secretstore/retry-policy';
export type { RotationOptions, RotationResult } from './secretstore/rotation';
export type { EncryptionKeyCheck } from './secretstore/key-fingerprint-check';
export { createSecretStore, type CreateSecretStoreOptions } from './secretstore/create-secret-store';
export type { StoreLocation } from './database/database-target';
export type { PoolOptions } from './database/pool';
export { anyJson, type SecretSchema } from './secretstore/schema';

export {
  EncryptionKey,
  generateEncryptionKey,
  parseEncryptionKeys,
  type ParsedEncryptionKeys,
} from './encryption/encryption-key';
export type { EncryptionOptions, KeyringDescription, KeyringOptions } from './encryption/secret-codec';

export type { SecretStoreRepository } from './secretstore/secret-store-repository';
export { PostgresSecretStoreRepository } from './secretstore/postgres-secret-store-repository';
export { InMemorySecretStoreRepository } from './secretstore/in-memory-secret-store-repository';
export type {
  EncryptionUsage,
  KeyFingerprint,
  SecretEncoding,
  SecretRecord,
  StoredValue,
} from './secretstore/secret-record';
export type { StatementOptions } from './database/to-database';

export {
  migrate,
  migrationStatus,
  type MigrateOptions,
  type MigrationResult,
  type MigrationStatus,
} from './database/migrate';
export type {
  DatabaseInput,
  NamedStatement,
  PGliteLike,
  PGliteResultLike,
  PGliteTransactionLike,
  PoolClientLike,
  PoolLike,
  Queryable,
  QueryResultLike,
} from './database/database';

export type { SecretStoreLogger } from './logger';
export type { SecretStoreOperation, SecretStoreOutcome, SecretStoreTelemetryOptions } from './secretstore/telemetry';

export {
  ConnectionAcquireTimeoutError,
  DatabaseOperationError,
  DatabaseUnavailableError,
  EncryptionKeyMismatchError,
  InvalidArgumentError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  isSecretStoreError,
  KeyringRequiredError,
  MigrationChecksumMismatchError,
  MigrationError,
  SchemaNotMigratedError,
  SECRET_STORE_ERROR_CODES,
  SecretCorruptError,
  SecretDecryptionError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretStoreError,
  SecretValidationError,
  SecretValueTooLargeError,
  SecretVersionConflictError,
  SecretWriteOutcomeUnknownError,
  StatementCancelledError,
  StatementTimeoutError,
  StoreNotFoundError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionConflictError,
  TransactionUnsupportedError,
  type SecretStoreErrorCode,
  type SecretStoreErrorOf,
} from './errors';
