// The package's public face: what an application needs to store, read, migrate and test with secrets.

export {
  SecretStore,
  MAX_VERSION,
  type DestroySecretOptions,
  type ListSecretsDueOptions,
  type PurgeDeletedSecretsOptions,
  type RestoreSecretVersionOptions,
  type ChangesOptions,
  type SecretChangeEvent,
  type SecretEntry,
  type SecretMetadata,
  type SecretWithMetadata,
  type SetSecretOptions,
  type StoreDescription,
  type UpdateSecretMetadataOptions,
  type VerifyAuditTrailOptions,
  type WatchOptions,
} from './secretstore/secret-store';
export type { ActorOption, ListSecretsOptions, ReadAuditTrailOptions } from './secretstore/lifecycle-arguments';
export type {
  AuditTrailHead,
  AuditTrailProblem,
  AuditTrailRecord,
  AuditTrailVerification,
} from './secretstore/audit-trail';
export type { SecretStoreOptions } from './secretstore/secret-store-options';
export type { SecretCacheOptions } from './secretstore/secret-cache';
export type { RetryOptions } from './secretstore/retry-policy';
export type { RotationOptions, RotationResult } from './secretstore/rotation';
export type { EncryptionKeyCheck } from './secretstore/key-fingerprint-check';
export { createSecretStore, type CreateSecretStoreOptions } from './secretstore/create-secret-store';
export type { StoreLocation } from './database/database-target';
export type { ReplicaState, ReplicaStatus } from './database/replicated-database';
export type { PoolOptions } from './database/pool';
export { anyJson, type SecretSchema } from './secretstore/schema';

export {
  EncryptionKey,
  generateEncryptionKey,
  parseEncryptionKeys,
  type ParsedEncryptionKeys,
} from './encryption/encryption-key';
export type {
  EncryptionAlgorithm,
  EncryptionOptions,
  KeyringDescription,
  KeyringOptions,
} from './encryption/secret-codec';

export type {
  BulkEntry,
  ChangeListener,
  ChangeSubscription,
  MetadataPage,
  SecretChange,
  SecretChangeOperation,
  SecretStoreRepository,
  WriteOptions,
} from './secretstore/secret-store-repository';
export {
  PostgresSecretStoreRepository,
  type PostgresRepositoryOptions,
} from './secretstore/postgres-secret-store-repository';
export { InMemorySecretStoreRepository } from './secretstore/in-memory-secret-store-repository';
export type {
  AuditCheckpoint,
  AuditEntry,
  AuditOperation,
  AuditRecord,
  DueRecord,
  EncryptionUsage,
  KeyFingerprint,
  SecretEncoding,
  SecretMetadataFields,
  SecretMetadataPatch,
  SecretMetadataRecord,
  SecretRecord,
  SecretValueRecord,
  SecretVersionInfo,
  SecretVersionRecord,
  StoredValue,
  WrittenValue,
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
  QueryCallback,
  Queryable,
  QueryResultLike,
} from './database/database';

export type { SecretStoreLogger } from './logger';
export type { SecretStoreOperation, SecretStoreOutcome, SecretStoreTelemetryOptions } from './secretstore/telemetry';

export {
  AuditTrailInvalidError,
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
  SecretExpiredError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretStoreError,
  SecretValidationError,
  SecretValueTooLargeError,
  SecretVersionConflictError,
  SecretVersionNotFoundError,
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
