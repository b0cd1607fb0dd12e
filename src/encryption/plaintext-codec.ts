import { SecretCorruptError, SecretDecryptionError } from '../errors';
import type { StoredValue } from '../secretstore/secret-record';
import { HASH_AUDIT_MAC, type AuditMac } from './audit-mac';
import type { KeyringDescription, SecretCodec } from './secret-codec';

const ENCRYPTED: ReadonlySet<string> = new Set(['aes-256-gcm', 'xchacha20-poly1305', 'triggerdev-v2']);

/** `encryption: 'none'`: values are stored as the plaintext JSONB they are; encrypted rows cannot be read. */
export class PlaintextCodec implements SecretCodec {
  readonly storesPlainJson = true;
  readonly activeKeyId = undefined;
  readonly activeEncoding = undefined;
  readonly keyFingerprints: ReadonlyMap<string, string> = new Map();
  readonly auditMac = HASH_AUDIT_MAC;

  /** Records signed under a key of a keyring cannot be checked without it. */
  auditMacFor(keyId: string | null): AuditMac | undefined {
    return keyId === null ? HASH_AUDIT_MAC : undefined;
  }

  encode(_key: string, json: string): StoredValue {
    return { valueJson: json, encoding: 'plain', keyId: null };
  }

  decode(key: string, stored: StoredValue): string {
    if (stored.encoding === 'plain') return stored.valueJson;
    if (!ENCRYPTED.has(stored.encoding)) {
      throw new SecretCorruptError(key, 'the row has an unknown encoding');
    }
    throw new SecretDecryptionError(
      key,
      stored.keyId ?? undefined,
      `the row is encrypted (${stored.encoding}) and this store has no keyring`,
    );
  }

  describe(): KeyringDescription {
    return { encryption: 'none' };
  }
}
