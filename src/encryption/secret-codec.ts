import type { KeyObject } from 'node:crypto';

import { SecretStoreConfigError } from '../errors';
import type { StoredValue, WrittenValue } from '../secretstore/secret-record';
import { AesGcmCodec } from './aes-gcm-codec';
import type { AuditMac } from './audit-mac';
import { assertKeyId, EncryptionKey, keyObjectOf } from './encryption-key';
import { PlaintextCodec } from './plaintext-codec';
import { triggerDevKeyFromText } from './triggerdev-envelope';
import { loadSodium, XCHACHA_ENCODING } from './xchacha20-poly1305';

export interface KeyringOptions {
  /** 32-byte keys by id. Use EncryptionKey (from parseEncryptionKeys or EncryptionKey.fromBase64) to keep them out of logs. */
  keys: Record<string, EncryptionKey | Uint8Array>;
  /** The id of the key new writes are encrypted with. */
  activeKeyId: string;
  /**
   * trigger.dev's ENCRYPTION_KEY, to read rows imported from trigger.dev: its 32-byte UTF-8 string, or that
   * string's bytes as an EncryptionKey (which keeps it out of logs).
   */
  legacyTriggerDevKey?: string | EncryptionKey;
  /** Read `plain` rows (written before encryption was turned on). Default true; see the README's Security section. */
  acceptPlaintext?: boolean;
  /**
   * What new writes (and rotation) encrypt with: `'aes-256-gcm'` (node:crypto, the default) or
   * `'xchacha20-poly1305'` (libsodium, through the optional peer dependency sodium-native, under a key derived
   * from each keyring key). Rows of both are read whichever is chosen.
   */
  algorithm?: EncryptionAlgorithm;
}

/** The encodings a keyring encrypts with. */
export type EncryptionAlgorithm = 'aes-256-gcm' | 'xchacha20-poly1305';

/** `'none'` stores plaintext JSONB and is only ever an explicit choice. */
export type EncryptionOptions = 'none' | KeyringOptions;

/**
 * What the service needs: encode a value's JSON for storage, decode a stored value back to JSON text, and sign
 * the audit trail.
 */
export interface SecretCodec {
  /** Whether stored JSON must also be valid as JSONB text (no \u0000, no unpaired surrogates). */
  readonly storesPlainJson: boolean;
  readonly activeKeyId: string | undefined;
  /** The encoding new writes get, and rotation moves rows to; undefined without a keyring. */
  readonly activeEncoding: EncryptionAlgorithm | undefined;
  /** Encodes the value of write `writeId` of `key`: a ciphertext is bound to both, and moved elsewhere fails. */
  encode(key: string, json: string, writeId: string | null): StoredValue;
  decode(key: string, stored: WrittenValue): string;
  /** A fingerprint of each key of the keyring by id (empty without one): names a key without revealing it. */
  readonly keyFingerprints: ReadonlyMap<string, string>;
  /** What new audit records and checkpoints are signed with: under the active key, or a plain hash without a keyring. */
  readonly auditMac: AuditMac;
  /** What checks a record or checkpoint signed under `keyId`: undefined when this store cannot check it. */
  auditMacFor(keyId: string | null): AuditMac | undefined;
  describe(): KeyringDescription;
}

/** What a store encrypts with, for tools that report it: key ids only, never key material. */
export type KeyringDescription =
  | { encryption: 'none' }
  | {
      /** A keyring encrypts (the name of the first algorithm, kept for compatibility): see `algorithm`. */
      encryption: 'aes-256-gcm';
      /** What new writes are encrypted with. */
      algorithm: EncryptionAlgorithm;
      /** Whether sodium-native loads here: XChaCha20-Poly1305 rows can be read (and written). */
      sodiumNative: boolean;
      /** The key new writes use. */
      activeKeyId: string;
      keyIds: string[];
      /** Whether rows imported from trigger.dev can be read. */
      legacyTriggerDevKey: boolean;
      /** Whether rows written before encryption (plaintext) can be read. */
      acceptPlaintext: boolean;
    };

function toKeyObject(value: unknown, setting: string): KeyObject {
  if (value instanceof EncryptionKey) return keyObjectOf(value, setting);
  if (value instanceof Uint8Array) return keyObjectOf(EncryptionKey.fromBytes(value, setting), setting);
  throw new SecretStoreConfigError(setting, 'must be an EncryptionKey or 32 bytes');
}

/** Validates the encryption options once, at construction, and returns the codec the store will use. */
export function createCodec(options: EncryptionOptions | undefined): SecretCodec {
  if (options === undefined) {
    throw new SecretStoreConfigError(
      'encryption',
      "is required: pass { keys, activeKeyId } (see parseEncryptionKeys) or, for development only, 'none'",
    );
  }
  if (options === 'none') return new PlaintextCodec();
  if (typeof options !== 'object' || options === null) {
    throw new SecretStoreConfigError('encryption', "must be { keys, activeKeyId } or 'none'");
  }
  const { keys, activeKeyId, legacyTriggerDevKey, acceptPlaintext = true, algorithm = 'aes-256-gcm' } = options;
  if (typeof keys !== 'object' || keys === null)
    throw new SecretStoreConfigError('encryption.keys', 'must be an object of id → key');
  const keyring = new Map<string, KeyObject>();
  for (const id of Object.keys(keys)) {
    assertKeyId(id, 'encryption.keys');
    keyring.set(id, toKeyObject(keys[id], `encryption.keys["${id}"]`));
  }
  if (keyring.size === 0) throw new SecretStoreConfigError('encryption.keys', 'holds no keys');
  assertKeyId(activeKeyId, 'encryption.activeKeyId');
  if (!keyring.has(activeKeyId)) {
    throw new SecretStoreConfigError('encryption.activeKeyId', `"${activeKeyId}" is not one of the keyring's ids`);
  }
  const setting = 'encryption.legacyTriggerDevKey';
  const triggerDevKey =
    legacyTriggerDevKey === undefined
      ? undefined
      : keyObjectOf(
          legacyTriggerDevKey instanceof EncryptionKey
            ? legacyTriggerDevKey
            : triggerDevKeyFromText(legacyTriggerDevKey, setting),
          setting,
        );
  if (typeof acceptPlaintext !== 'boolean')
    throw new SecretStoreConfigError('encryption.acceptPlaintext', 'must be a boolean');
  if (algorithm !== 'aes-256-gcm' && algorithm !== XCHACHA_ENCODING) {
    throw new SecretStoreConfigError('encryption.algorithm', "must be 'aes-256-gcm' or 'xchacha20-poly1305'");
  }
  const sodium = algorithm === XCHACHA_ENCODING ? loadSodium() : undefined;
  if (sodium?.library === null) {
    throw new SecretStoreConfigError('encryption.algorithm', `'xchacha20-poly1305' cannot be used: ${sodium.problem}`);
  }
  return new AesGcmCodec(activeKeyId, keyring, triggerDevKey, acceptPlaintext, algorithm);
}
