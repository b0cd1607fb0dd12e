/** How a row's value is encoded; the table's `encoding` column. */
export type SecretEncoding = 'plain' | 'aes-256-gcm' | 'triggerdev-v2';

/** A value as it is written to the table. */
export interface StoredValue {
  valueJson: string;
  encoding: SecretEncoding;
  /** The key id, for `aes-256-gcm` rows only. */
  keyId: string | null;
}

/** One stored secret as the repository sees it: the value is JSON text, uninterpreted, with its encoding. */
export interface SecretRecord extends StoredValue {
  key: string;
  /** Write counter: 1 when created, +1 on every update. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
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
