import { createCipheriv, randomBytes } from 'node:crypto';

import type { StoredValue } from '../../src';

/**
 * A value as trigger.dev's PrismaSecretStore writes a version "2" row: AES-256-GCM with its ENCRYPTION_KEY
 * string as the key, a 12-byte nonce, no additional data, `{ nonce, ciphertext, tag }` in lowercase hex.
 */
export function triggerDevValue(encryptionKey: string, plaintext: string): StoredValue {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, nonce);
  let ciphertext = cipher.update(plaintext, 'utf8', 'hex');
  ciphertext += cipher.final('hex');
  const tag = cipher.getAuthTag().toString('hex');
  const envelope = { nonce: nonce.toString('hex'), ciphertext, tag };
  return { valueJson: JSON.stringify(envelope), encoding: 'triggerdev-v2', keyId: null };
}

/**
 * Our envelope, sealed here independently of src as the README specifies it: AES-256-GCM, a 12-byte nonce,
 * additional data `["@kongflow/secretstore", 1, keyId, key]`, fields in base64.
 */
export function sealedValue(material: Uint8Array, keyId: string, key: string, plaintext: string): StoredValue {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material, nonce);
  cipher.setAAD(Buffer.from(JSON.stringify(['@kongflow/secretstore', 1, keyId, key]), 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const envelope = {
    v: 1,
    kid: keyId,
    nonce: nonce.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
  return { valueJson: JSON.stringify(envelope), encoding: 'aes-256-gcm', keyId };
}

/** The JSON object a stored value holds. */
export function envelopeOf(stored: StoredValue): Record<string, unknown> {
  return JSON.parse(stored.valueJson) as Record<string, unknown>;
}

/** `stored` with its envelope changed by `edit`. */
export function editedValue(
  stored: StoredValue,
  edit: (envelope: Record<string, unknown>) => Record<string, unknown>,
): StoredValue {
  return { ...stored, valueJson: JSON.stringify(edit(envelopeOf(stored))) };
}

/** Encoded bytes with one bit of the first byte flipped, in the same encoding. */
export function flipFirstBit(encoded: unknown, encoding: 'base64' | 'hex' = 'base64'): string {
  const bytes = Buffer.from(encoded as string, encoding);
  bytes[0] ^= 1;
  return bytes.toString(encoding);
}
