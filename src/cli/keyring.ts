import type { EncryptionAlgorithm } from '../encryption/secret-codec';
import type { SecretStore } from '../secretstore/secret-store';

/** The keyring a store was built with, as the CLI reports it: ids only, never key material. */
export interface KeyringDescription {
  /** The key new writes use; undefined for a plaintext store. */
  activeKeyId: string | undefined;
  /** What new writes and rotation encrypt with; undefined for a plaintext store. */
  algorithm: EncryptionAlgorithm | undefined;
  /** Whether sodium-native loads here, so that XChaCha20-Poly1305 rows can be read. */
  sodiumNative: boolean;
  keyIds: string[];
  /** Whether rows imported from trigger.dev can be read. */
  legacyTriggerDevKey: boolean;
  /** Whether rows written before encryption (plaintext) can be read. */
  acceptPlaintext: boolean;
}

export function describeKeyring(store: SecretStore): KeyringDescription {
  const { keyring } = store.describe();
  if (keyring.encryption === 'none') {
    return {
      activeKeyId: undefined,
      algorithm: undefined,
      sodiumNative: false,
      keyIds: [],
      legacyTriggerDevKey: false,
      acceptPlaintext: true,
    };
  }
  const { activeKeyId, algorithm, sodiumNative, keyIds, legacyTriggerDevKey, acceptPlaintext } = keyring;
  return { activeKeyId, algorithm, sodiumNative, keyIds, legacyTriggerDevKey, acceptPlaintext };
}
