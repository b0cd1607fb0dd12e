import type { SecretStore } from '../secretstore/secret-store';

/** The keyring a store was built with, as the CLI reports it: ids only, never key material. */
export interface KeyringDescription {
  /** The key new writes use; undefined for a plaintext store. */
  activeKeyId: string | undefined;
  keyIds: string[];
  /** Whether rows imported from trigger.dev can be read. */
  legacyTriggerDevKey: boolean;
  /** Whether rows written before encryption (plaintext) can be read. */
  acceptPlaintext: boolean;
}

export function describeKeyring(store: SecretStore): KeyringDescription {
  const { keyring } = store.describe();
  if (keyring.encryption === 'none') {
    return { activeKeyId: undefined, keyIds: [], legacyTriggerDevKey: false, acceptPlaintext: true };
  }
  const { activeKeyId, keyIds, legacyTriggerDevKey, acceptPlaintext } = keyring;
  return { activeKeyId, keyIds, legacyTriggerDevKey, acceptPlaintext };
}
