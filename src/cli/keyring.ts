import type { SecretStore } from '../secretstore/service';

/** The keyring a store was built with: ids only, never key material. */
export interface KeyringDescription {
  /** The key new writes use; undefined for a plaintext store. */
  activeKeyId: string | undefined;
  keyIds: string[];
  /** Whether rows imported from trigger.dev can be read. */
  legacyTriggerDevKey: boolean;
  /** Whether rows written before encryption (plaintext) can be read. */
  acceptPlaintext: boolean;
}

/** Read from the store's toJSON(), the only public view of its keyring. */
export function describeKeyring(store: SecretStore): KeyringDescription {
  const described = store.toJSON();
  const keyIds = Array.isArray(described.keyIds)
    ? described.keyIds.filter((id): id is string => typeof id === 'string')
    : [];
  return {
    activeKeyId: typeof described.activeKeyId === 'string' ? described.activeKeyId : undefined,
    keyIds,
    legacyTriggerDevKey: described.legacyTriggerDevKey !== undefined,
    acceptPlaintext: described.encryption === 'none' || described.acceptPlaintext === true,
  };
}
