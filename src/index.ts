export {
  SecretStore,
  type RotationOptions,
  type RetryOptions,
  type RotationResult,
  type SecretEntry,
  type SecretMetadata,
  type SecretWithMetadata,
  type SetSecretOptions,
  type SecretStoreOptions,
} from './secretstore/service';
export type { EncryptionKeyCheck } from './secretstore/key-fingerprint-check';
export {
  EncryptionKey,
  generateEncryptionKey,
  parseEncryptionKeys,
  type ParsedEncryptionKeys,
} from './encryption/encryption-key';
export type { EncryptionOptions, KeyringOptions, SecretEncoding, StoredValue } from './encryption/codec';
export {
  createSecretStore,
  storeLocation,
  type CreateSecretStoreOptions,
  type StoreLocation,
} from './secretstore/create';
export type { SecretStoreLogger } from './logger';
export type { SecretStoreOperation, SecretStoreOutcome, SecretStoreTelemetryOptions } from './secretstore/telemetry';
export {
  PostgresSecretStoreRepository,
  type EncryptionUsage,
  type KeyFingerprint,
  type SecretRecord,
  type SecretStoreRepository,
} from './secretstore/repository';
export { anyJson, type SecretSchema } from './secretstore/schema';
export {
  migrate,
  migrationStatus,
  type MigrateOptions,
  type MigrationResult,
  type MigrationStatus,
} from './database/migrate';
export { describeDatabaseConfig, readDatabaseConfig, type DatabaseConfig, type Environment } from './database/config';
export { createPool, type PoolOptions } from './database/pool';
export type {
  DatabaseInput,
  PGliteLike,
  PoolClientLike,
  PoolLike,
  Queryable,
  QueryResultLike,
} from './database/queryable';
export {
  ConnectionAcquireTimeoutError,
  DatabaseError,
  DatabaseUnavailableError,
  EncryptionKeyMismatchError,
  InvalidArgumentError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  KeyringRequiredError,
  MigrationChecksumMismatchError,
  MigrationError,
  SchemaNotMigratedError,
  SecretCorruptError,
  SecretDecryptionError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretStoreError,
  SecretValidationError,
  SecretValueTooLargeError,
  SecretVersionConflictError,
  SecretWriteOutcomeUnknownError,
  StatementTimeoutError,
  StoreNotFoundError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionConflictError,
  TransactionUnsupportedError,
} from './errors';
