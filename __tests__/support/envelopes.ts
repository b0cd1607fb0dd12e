/**
 * Stored values sealed here with node:crypto, independently of src, as the README and trigger.dev specify them:
 * what a test writes to the table or hands a codec, to prove the package reads what others wrote.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

import type { StoredValue } from '../../src';

/** trigger.dev's version "2" envelope: `{ nonce, ciphertext, tag }` in lowercase hex. */
export interface TriggerDevEnvelope {
  nonce: string;
  ciphertext: string;
  tag: string;
}

/**
 * `plaintext` as trigger.dev's PrismaSecretStore encrypts it: AES-256-GCM with its ENCRYPTION_KEY string as the
 * key, a 12-byte nonce, no additional data.
 */
export function triggerDevEnvelope(encryptionKey: string, plaintext: string): TriggerDevEnvelope {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, nonce);
  let ciphertext = cipher.update(plaintext, 'utf8', 'hex');
  ciphertext += cipher.final('hex');
  const tag = cipher.getAuthTag().toString('hex');
  return { nonce: nonce.toString('hex'), ciphertext, tag };
}

/** A value as trigger.dev's PrismaSecretStore writes a version "2" row. */
export function triggerDevValue(encryptionKey: string, plaintext: string): StoredValue {
  const envelope = triggerDevEnvelope(encryptionKey, plaintext);
  return { valueJson: JSON.stringify(envelope), encoding: 'triggerdev-v2', keyId: null };
}

/** Our envelope: `{ v: 1, kid, nonce, ct, tag }`, the byte fields in base64. */
export interface SealedEnvelope {
  v: number;
  kid: string;
  nonce: string;
  ct: string;
  tag: string;
}

/**
 * Our envelope as the README specifies it: AES-256-GCM, a 12-byte nonce, additional data
 * `["@kongflow/secretstore", 1, keyId, key]` that binds it to its row.
 */
export function sealedEnvelope(material: Uint8Array, keyId: string, key: string, plaintext: string): SealedEnvelope {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material, nonce);
  cipher.setAAD(Buffer.from(JSON.stringify(['@kongflow/secretstore', 1, keyId, key]), 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    v: 1,
    kid: keyId,
    nonce: nonce.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Our envelope as the value of an `aes-256-gcm` row. */
export function sealedValue(material: Uint8Array, keyId: string, key: string, plaintext: string): StoredValue {
  return { valueJson: JSON.stringify(sealedEnvelope(material, keyId, key, plaintext)), encoding: 'aes-256-gcm', keyId };
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
