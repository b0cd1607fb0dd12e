import type { EncryptionUsage, KeyFingerprint, SecretRecord, StoredValue } from './secret-record';

/**
 * Storage of secrets as JSON text. The service depends on this interface only, so applications can mock it
 * in their unit tests. Keys and JSON text arrive validated; implementations do no validation of their own.
 */
export interface SecretStoreRepository {
  getSecret(key: string): Promise<SecretRecord | undefined>;
  /** The records of those keys that exist, ordered by key. */
  getSecretsByKeys(keys: readonly string[]): Promise<SecretRecord[]>;
  /** Every record whose key starts with `prefix` (taken literally), ordered by key. */
  listSecretsByPrefix(prefix: string): Promise<SecretRecord[]>;
  /**
   * Inserts, or replaces the value of, the secret and returns the version it now has. A key created again
   * after a delete continues from the version it had: a version of a key is never reused.
   */
  upsertSecret(key: string, value: StoredValue): Promise<{ version: number }>;
  /**
   * Writes only if the stored version is `ifVersion` (0: only if absent), bumping the version; undefined
   * when the condition does not hold, and nothing is written.
   */
  writeSecretIfVersion(key: string, value: StoredValue, ifVersion: number): Promise<{ version: number } | undefined>;
  /**
   * Inserts or replaces every entry in one statement (all or none), taking row locks in key order so that
   * concurrent calls cannot deadlock; keys are distinct. Returns each new version, in key order.
   */
  upsertSecrets(entries: readonly { key: string; value: StoredValue }[]): Promise<{ key: string; version: number }[]>;
  /**
   * Up to `limit` records, in key order after `afterKey`, that are not encrypted under `activeKeyId`
   * (plaintext, trigger.dev and other-key rows).
   */
  listSecretsToRotate(activeKeyId: string, afterKey: string, limit: number): Promise<SecretRecord[]>;
  /**
   * Replaces the stored value only if the row's version is still `version`; leaves `version` and
   * `updatedAt` as they are. False when the row changed or is gone.
   */
  reencryptSecret(key: string, version: number, value: StoredValue): Promise<boolean>;
  /** True when the key existed. */
  deleteSecret(key: string): Promise<boolean>;
  /** Secret counts by encoding and key id, ordered by encoding then key id. */
  countSecretsByEncryption(): Promise<EncryptionUsage[]>;
  /** Every recorded key fingerprint, ordered by key id. */
  getKeyFingerprints(): Promise<KeyFingerprint[]>;
  /** Records `fingerprint` for `keyId` unless one is recorded already; returns the fingerprint recorded now. */
  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T>;
}
