import { EncryptionKey } from '../../src/encryption/encryption-key';
import type { KeyringOptions } from '../../src/encryption/codec';

/** A fresh keyring with one random key, as a test's store would be configured. */
export function testKeyring(activeKeyId = 'test-k1'): KeyringOptions {
  return { keys: { [activeKeyId]: EncryptionKey.generate() }, activeKeyId };
}
