import { EncryptionKey, type KeyringOptions } from '../../src';

/** A fresh keyring with one random key, as a test's store would be configured. */
export function testKeyring(activeKeyId = 'test-k1'): KeyringOptions {
  return { keys: { [activeKeyId]: EncryptionKey.generate() }, activeKeyId };
}
