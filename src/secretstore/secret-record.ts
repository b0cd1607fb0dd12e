/** How a row's value is encoded; the table's `encoding` column. */
export type SecretEncoding = 'plain' | 'aes-256-gcm' | 'xchacha20-poly1305' | 'triggerdev-v2';

/** A value as it is written to the table. */
export interface StoredValue {
  valueJson: string;
  encoding: SecretEncoding;
  /** The key id, for `aes-256-gcm` and `xchacha20-poly1305` rows only. */
  keyId: string | null;
}

/** A value as one write stores it: with the identifier of that write, which its ciphertext is bound to. */
export interface WrittenValue extends StoredValue {
  /** Chosen by the writer, unique to the write; null for rows written before writes had one. */
  writeId: string | null;
}

/** A secret's metadata: never secret, stored in plain columns. */
export interface SecretMetadataFields {
  description: string | null;
  /** String → string. */
  tags: Record<string, string>;
  expiresAt: Date | null;
  rotateAfter: Date | null;
  /** How many versions to keep; null: the store's default. */
  maxVersions: number | null;
}

/** A change to the metadata, as JSON Merge Patch: a field left out is kept, `null` removes it. */
export interface SecretMetadataPatch {
  description?: string | null;
  /** Merged into the tags: a tag set to null is removed; `tags: null` removes them all. */
  tags?: Record<string, string | null> | null;
  expiresAt?: Date | null;
  rotateAfter?: Date | null;
  maxVersions?: number | null;
}

/**
 * One stored secret's current value as JSON text, uninterpreted, as reads of many return it: without its
 * times, which a list does not return and would otherwise parse into two Dates per row.
 */
export interface SecretValueRecord extends WrittenValue {
  key: string;
  /** Counts value writes: never reused, across deletes and re-creates. */
  version: number;
  /** From its metadata: reads past this date are counted, or refused by a store built with rejectExpired. */
  expiresAt: Date | null;
}

/** One stored secret as the repository reads it by key: its current value with its times. */
export interface SecretRecord extends SecretValueRecord {
  createdAt: Date;
  updatedAt: Date;
}

/** A secret's record without its value, with its metadata and whether it is deleted. */
export interface SecretMetadataRecord extends SecretMetadataFields {
  key: string;
  version: number;
  encoding: SecretEncoding;
  keyId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When it was soft-deleted; null while it is not. */
  deletedAt: Date | null;
}

/** One kept version of a secret, without its value. */
export interface SecretVersionInfo {
  version: number;
  createdAt: Date;
  /** Set on the latest version of a deleted secret. */
  deletedAt: Date | null;
  /** Its value was erased for good. */
  destroyed: boolean;
}

/** One kept version of a secret with its value: what rotation re-encrypts and getSecretVersion reads. */
export interface SecretVersionRecord extends WrittenValue {
  key: string;
  version: number;
  createdAt: Date;
}

/** A date that falls due: when the secret expires, or when it should be rotated. */
export interface DueRecord {
  key: string;
  due: 'expiresAt' | 'rotateAfter';
  at: Date;
}

/** How many secrets are stored under one encoding and key id. */
export interface EncryptionUsage {
  encoding: SecretEncoding;
  keyId: string | null;
  secrets: number;
}

/** The fingerprint of the encryption key that wrote under a key id (see SecretCodec.keyFingerprints). */
export interface KeyFingerprint {
  keyId: string;
  fingerprint: string;
}

/** What the audit trail records: every change, and reads when the store audits them. */
export type AuditOperation =
  'set' | 'set-many' | 'restore' | 'delete' | 'undelete' | 'destroy' | 'purge' | 'update-metadata' | 'rotate' | 'read';

/**
 * An audit record as the store makes it, before the database adds its position and the versions: its MAC,
 * under a key derived from the keyring, covers every field here, so that a writer without the keyring
 * cannot forge one.
 */
export interface AuditEntry {
  /** Random, chosen by the store: the record's identity. */
  id: string;
  operation: AuditOperation;
  /** The secret's key; null for an operation on many (a purge). */
  key: string | null;
  /** The write the record is of, for writes of a value. */
  writeId: string | null;
  actor: string | null;
  /** When the store made the record. */
  at: Date;
  /** The id of the keyring key the MAC key was derived from; null without a keyring (then `mac` is a hash). */
  macKeyId: string | null;
  mac: string;
}

/** An audit record as the database keeps it: the entry, its position, and what the database filled in. */
export interface AuditRecord extends AuditEntry {
  /** Its position in the trail, in the order the database took the records. */
  seq: number;
  /** The versions the operation wrote, deleted or destroyed. */
  versions: number[];
  /** The keys a purge removed. */
  keys: string[];
  recordedAt: Date;
  /** The checkpoint that sealed it; null until one does. */
  sealedBy: number | null;
}

/** A checkpoint of the audit trail: a MAC over every record it seals and over the checkpoint before it. */
export interface AuditCheckpoint {
  seq: number;
  /** How many records it seals. */
  records: number;
  /** SHA-256 over the sealed records, in order, each with what the database filled in. */
  digest: string;
  /** The MAC of the checkpoint before it; '' for the first. */
  previousMac: string;
  macKeyId: string | null;
  mac: string;
  createdAt: Date;
}
