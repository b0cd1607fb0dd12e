import { createHash, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** The HKDF label of the audit trail's MAC keys: a key used for nothing else, derived from each keyring key. */
const AUDIT_KEY_INFO = '@kongflow/secretstore audit v1';

/** Signs the audit trail's records and checkpoints: an HMAC under a key of the keyring, or a plain hash without one. */
export interface AuditMac {
  /** The keyring key the MAC key was derived from; null for the plain hash of a store without a keyring. */
  readonly keyId: string | null;
  sign(text: string): string;
}

/**
 * HMAC-SHA256 under a key derived with HKDF-SHA256 from a keyring key: a database dump holds MACs, never a
 * key, and whoever writes to the tables without the keyring cannot make a MAC that verifies.
 */
export function keyedAuditMac(keyId: string, material: KeyObject): AuditMac {
  const derived = createSecretKey(
    Buffer.from(hkdfSync('sha256', material.export(), Buffer.alloc(0), AUDIT_KEY_INFO, 32)),
  );
  return {
    keyId,
    sign: (text) => createHmac('sha256', derived).update(text, 'utf8').digest('base64'),
  };
}

/** SHA-256 alone, for `encryption: 'none'`: it finds accidental damage, not a writer who recomputes it. */
export const HASH_AUDIT_MAC: AuditMac = {
  keyId: null,
  sign: (text) => createHash('sha256').update(text, 'utf8').digest('base64'),
};
