import type {
  AuditCheckpoint,
  AuditEntry,
  AuditOperation,
  AuditRecord,
  DueRecord,
  EncryptionUsage,
  KeyFingerprint,
  SecretMetadataPatch,
  SecretEncoding,
  SecretMetadataRecord,
  SecretRecord,
  SecretValueRecord,
  SecretVersionInfo,
  SecretVersionRecord,
  StoredValue,
  WrittenValue,
} from './secret-record';

/**
 * What a committed change did to a secret: set (a new version), delete (soft), undelete, destroy (its current
 * value erased, or the secret removed while not deleted), purge (a deleted secret removed), metadata, or
 * reencrypt (the same version stored anew, as rotation does).
 */
export type SecretChangeOperation = 'set' | 'delete' | 'undelete' | 'destroy' | 'purge' | 'metadata' | 'reencrypt';

/** One committed change: never a value. `version` is the secret's version after it (before, when removed). */
export interface SecretChange {
  key: string;
  version: number;
  operation: SecretChangeOperation;
}

/** What a subscriber to changes is told. */
export interface ChangeListener {
  /** Changes, after their transaction committed. */
  changes(changes: readonly SecretChange[]): void;
  /** Changes may be missed from now on (the listening connection was lost, or a notification was unreadable). */
  lost(error: Error): void;
  /** Changes are heard from now on: the first time, and after each loss (those in between may have been missed). */
  live(): void;
}

export interface ChangeSubscription {
  /** Whether changes are heard now. */
  readonly live: boolean;
  /** Settles once the first attempt to listen has succeeded or failed (it keeps trying after a failure). */
  readonly ready: Promise<void>;
  /** Stops the subscription; the last one closes the listening connection. */
  unsubscribe(): Promise<void>;
}

/** How a write of a value is made. */
export interface WriteOptions {
  /**
   * Unset: create or replace. 0: only if the secret is absent (never written, deleted, or its current value
   * destroyed). N: only if its current version is N.
   */
  ifVersion?: number;
  /** Applied with the write, as JSON Merge Patch. */
  metadata?: SecretMetadataPatch;
  /** The versions to keep when the secret sets none of its own. */
  maxVersions: number;
  /** `set` or `restore`. */
  operation: Extract<AuditOperation, 'set' | 'restore'>;
  audit: AuditEntry;
}

/** One secret of a bulk write, with its own audit record. */
export interface BulkEntry {
  key: string;
  value: WrittenValue;
  audit: AuditEntry;
}

/** Where a page of a listing starts, and how long it is. */
export interface MetadataPage {
  /** Only keys that start with this. */
  prefix: string;
  /** Only keys after this one ('' for the first page). */
  after: string;
  limit: number;
  includeDeleted: boolean;
}

/**
 * Storage of secrets as JSON text, with their versions, metadata and audit trail. The store depends on this
 * interface only, so applications can mock it in their unit tests, or use InMemorySecretStoreRepository.
 * Keys and JSON text arrive validated; implementations do no validation of their own. Every change takes an
 * audit entry and records it in the same statement (the same transaction), so that a change is never
 * recorded without happening, nor happens without being recorded.
 */
export interface SecretStoreRepository {
  /** The current value of a secret that is neither deleted nor destroyed. */
  getSecret(key: string): Promise<SecretRecord | undefined>;
  /** The values of those keys that exist and are neither deleted nor destroyed, ordered by key. */
  getSecretsByKeys(keys: readonly string[]): Promise<SecretValueRecord[]>;
  /** The same, for every key that starts with `prefix` (taken literally). */
  listSecretsByPrefix(prefix: string): Promise<SecretValueRecord[]>;
  /**
   * Writes a new version (see WriteOptions.ifVersion), keeps it, removes versions beyond the secret's
   * maxVersions (else `maxVersions`), and resolves the version written; undefined when the condition does
   * not hold, and nothing is written. A version is never reused: a key written again after a delete, a
   * destroy or a purge continues from the version it had.
   */
  writeSecret(key: string, value: WrittenValue, options: WriteOptions): Promise<{ version: number } | undefined>;
  /**
   * Creates or replaces every entry in one statement (all or none), taking row locks in key order so that
   * concurrent calls cannot deadlock; keys are distinct. Returns each new version, in key order.
   */
  upsertSecrets(entries: readonly BulkEntry[], maxVersions: number): Promise<{ key: string; version: number }[]>;
  /** Soft-deletes the secret: it reads as missing, its versions stay. True when it was there and not deleted. */
  deleteSecret(key: string, audit: AuditEntry): Promise<boolean>;
  /** Brings a deleted secret back as it was. True when it was deleted. */
  undeleteSecret(key: string, audit: AuditEntry): Promise<boolean>;
  /**
   * Erases the values of those versions for good (all of them, and the secret's row, when `versions` is
   * undefined), keeping the records that they existed. Resolves the versions it erased, ascending.
   */
  destroySecretVersions(key: string, versions: readonly number[] | undefined, audit: AuditEntry): Promise<number[]>;
  /** Removes, with their versions, the secrets deleted before `deletedBefore`; resolves their keys, ordered. */
  purgeDeletedSecrets(deletedBefore: Date, audit: AuditEntry): Promise<string[]>;
  /**
   * Applies `patch` to a secret that is not deleted, if its version is `ifVersion` (when given); the metadata
   * it now has, or undefined when nothing was changed.
   */
  updateSecretMetadata(
    key: string,
    patch: SecretMetadataPatch,
    ifVersion: number | undefined,
    audit: AuditEntry,
  ): Promise<SecretMetadataRecord | undefined>;
  /** A secret's metadata, deleted or not. */
  getSecretMetadata(key: string): Promise<SecretMetadataRecord | undefined>;
  /** A page of metadata, in key order. */
  listSecretMetadata(page: MetadataPage): Promise<SecretMetadataRecord[]>;
  /** The expiry and rotation dates of secrets that are not deleted, due on or before `until`, soonest first. */
  listSecretsDue(until: Date): Promise<DueRecord[]>;
  /** One kept version with its value; undefined when it does not exist, was destroyed or removed. */
  getSecretVersion(key: string, version: number): Promise<SecretVersionRecord | undefined>;
  /** Every kept version of a secret, newest first, without values. */
  listSecretVersions(key: string): Promise<SecretVersionInfo[]>;
  /**
   * Up to `limit` kept versions, in key and version order after `after`, that are not encrypted under
   * `activeKeyId` with `activeEncoding` (default aes-256-gcm): plaintext, trigger.dev, other-key and other-algorithm rows.
   */
  listVersionsToRotate(
    activeKeyId: string,
    after: { key: string; version: number },
    limit: number,
    activeEncoding?: SecretEncoding,
  ): Promise<SecretVersionRecord[]>;
  /**
   * Replaces a kept version's value (and the current one's, when it is current) if it is still `from`:
   * the same write and encoding. False when it changed or is gone. Versions and times stay as they are.
   */
  reencryptVersion(from: SecretVersionRecord, value: StoredValue, audit: AuditEntry): Promise<boolean>;
  /** Kept versions with a value, counted by encoding and key id, ordered by encoding then key id. */
  countSecretsByEncryption(): Promise<EncryptionUsage[]>;
  /** Every recorded key fingerprint, ordered by key id. */
  getKeyFingerprints(): Promise<KeyFingerprint[]>;
  /** Records `fingerprint` for `keyId` unless one is recorded already; returns the fingerprint recorded now. */
  recordKeyFingerprint(keyId: string, fingerprint: string): Promise<string>;
  /** Records an audit entry that goes with no change (a read): the versions read, or the keys of a read of many. */
  appendAuditRecord(entry: AuditEntry, versions: readonly number[], keys: readonly string[]): Promise<void>;
  /** Up to `limit` audit records after position `afterSeq`, of one key or of all. */
  readAuditRecords(query: { key?: string; afterSeq: number; limit: number }): Promise<AuditRecord[]>;
  /**
   * The audit records of those ids, in order: how the store tells whether a write whose connection was lost
   * landed, since every change commits with its record.
   */
  findAuditRecords(ids: readonly string[]): Promise<AuditRecord[]>;
  /** Up to `limit` records no checkpoint seals yet, after position `afterSeq`, in order. */
  readUnsealedAuditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Up to `limit` records that `checkpoint` seals, after position `afterSeq`, in order. */
  readSealedAuditRecords(checkpoint: number, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Every checkpoint, in order. */
  listAuditCheckpoints(): Promise<AuditCheckpoint[]>;
  /** Inside a transaction: keeps any other sealer of the audit trail waiting until it ends. */
  lockAuditTrail(): Promise<void>;
  /** Adds a checkpoint and marks the records it seals; resolves its position. */
  sealAuditRecords(
    checkpoint: Omit<AuditCheckpoint, 'seq' | 'createdAt'>,
    records: readonly number[],
  ): Promise<AuditCheckpoint>;
  /** Replaces a checkpoint's MAC (and the previous MAC it covers), when it is made again under another key. */
  resealAuditCheckpoint(seq: number, previousMac: string, macKeyId: string | null, mac: string): Promise<void>;
  /**
   * Up to `limit` secrets with a current value, after `afterKey`, each with the write that made it and the
   * write its latest value-setting audit record names.
   */
  listCurrentWrites(
    afterKey: string,
    limit: number,
  ): Promise<{ key: string; version: number; writeId: string | null; auditedWriteId: string | null }[]>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (repository: SecretStoreRepository) => Promise<T>): Promise<T>;
  /**
   * Reports every committed change of every secret, made by whichever process, to `listener`. Optional: a
   * store's cache and watch() need it. Throws SecretStoreConfigError when this repository cannot listen.
   */
  subscribeToChanges?(listener: ChangeListener): ChangeSubscription;
  /**
   * True when the repository runs on one connection whose transactions the caller begins and ends (so that a
   * ROLLBACK it makes is heard by nothing): a store refuses a cache over it.
   */
  readonly joinsCallerTransactions?: boolean;
}
