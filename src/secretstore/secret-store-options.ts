import type { EncryptionOptions } from '../encryption/secret-codec';
import type { SecretStoreLogger } from '../logger';
import type { RetryOptions } from './retry-policy';
import type { SecretCacheOptions } from './secret-cache';
import type { SecretStoreTelemetryOptions } from './telemetry';

export interface SecretStoreOptions {
  /**
   * Required. `{ keys, activeKeyId }` encrypts every value with AES-256-GCM; `'none'` stores plaintext
   * JSONB, for development only. A store with no decision refuses to start.
   */
  encryption?: EncryptionOptions;
  /** Largest accepted value, as bytes of its JSON text. Default 1 MiB. */
  maxValueBytes?: number;
  /** Deepest accepted nesting of objects and arrays. Default 64. */
  maxDepth?: number;
  /**
   * Receives a debug line per operation (name, outcome, duration, error code) and a warning per row that
   * rotation leaves (its key and error code). Never a value. Without one, the store logs nothing.
   */
  logger?: SecretStoreLogger;
  /** OpenTelemetry providers for the store's spans and duration histogram. Default: the global ones. */
  telemetry?: SecretStoreTelemetryOptions;
  /** How operations are retried after a lost connection; see the README's retry policy. */
  retry?: RetryOptions;
  /** Versions kept per secret, from 1 to 1,000, unless its metadata sets its own. Default 10 (as Vault KV v2). */
  maxVersions?: number;
  /**
   * Refuse reads of a secret past its expiresAt with SecretExpiredError. Default false: an expired secret
   * still reads (no outage at midnight), and the read is counted in the `secretstore.expired_reads` metric.
   */
  rejectExpired?: boolean;
  /** Add a `read` record to the audit trail for every read of a value. Default false: changes only. */
  auditReads?: boolean;
  /**
   * Serve getSecret, getSecretOrThrow, getSecretsByKeys and getSecrets from memory, kept correct by the
   * database's change notifications (see the README's cache section). Default: no cache. Needs a repository
   * that can listen (a pg Pool, PGlite, or `listenDatabase`); a store that audits reads never serves from it.
   */
  cache?: SecretCacheOptions;
}

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_VERSIONS = 10;
/** The largest maxVersions, of the store and of a secret (the table's CHECK says the same). */
export const MAX_KEPT_VERSIONS = 1000;
