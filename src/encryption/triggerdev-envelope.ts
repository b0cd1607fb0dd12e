import type { KeyObject } from 'node:crypto';

import { SecretDecryptionError, SecretStoreConfigError } from '../errors';
import { decrypt } from './aes-gcm';
import { EncryptionKey, KEY_BYTES } from './encryption-key';
import { decodeBytes, parseObject } from './envelope-fields';

/**
 * trigger.dev's ENCRYPTION_KEY: its 32-byte UTF-8 string is the key itself. `setting` names where it came from
 * (SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY, encryption.legacyTriggerDevKey) in the error; never the key.
 */
export function triggerDevKeyFromText(text: unknown, setting: string): EncryptionKey {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new SecretStoreConfigError(setting, `must be ${KEY_BYTES} bytes in UTF-8`);
  }
  return EncryptionKey.fromBytes(bytes, setting);
}

/** trigger.dev's version 2: `{ nonce, ciphertext, tag }` in lowercase hex, AES-256-GCM, no additional data. */
export function decodeTriggerDevEnvelope(key: string, valueJson: string, triggerDevKey: KeyObject | undefined): string {
  if (!triggerDevKey) {
    throw new SecretDecryptionError(
      key,
      undefined,
      'the row comes from trigger.dev and no legacyTriggerDevKey is configured',
    );
  }
  const envelope = parseObject(key, valueJson, 'trigger.dev envelope');
  const parts = {
    nonce: decodeBytes(key, envelope.nonce, 'nonce', 'hex'),
    ciphertext: decodeBytes(key, envelope.ciphertext, 'ciphertext', 'hex'),
    tag: decodeBytes(key, envelope.tag, 'tag', 'hex'),
  };
  return decrypt(key, undefined, triggerDevKey, parts, undefined);
}
