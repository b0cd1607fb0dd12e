import { SecretCorruptError, SecretDecryptionError } from '../errors';
import type { StoredValue } from '../secretstore/secret-record';
import type { KeyringDescription, SecretCodec } from './secret-codec';

/** `encryption: 'none'`: values are stored as the plaintext JSONB they are; encrypted rows cannot be read. */
export class PlaintextCodec implements SecretCodec {
  readonly storesPlainJson = true;
  readonly activeKeyId = undefined;
  // Two writes of one value are the same plaintext: a row cannot say which write it came from.
  readonly identifiesWrites = false;
  readonly keyFingerprints: ReadonlyMap<string, string> = new Map();

  isSameWrite(): boolean {
    return false;
  }

  encode(_key: string, json: string): StoredValue {
    return { valueJson: json, encoding: 'plain', keyId: null };
  }

  decode(key: string, stored: StoredValue): string {
    if (stored.encoding === 'plain') return stored.valueJson;
    if (stored.encoding !== 'aes-256-gcm' && stored.encoding !== 'triggerdev-v2') {
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
