import { createDecipheriv, type KeyObject } from 'node:crypto';

import { SecretCorruptError, SecretDecryptionError } from '../errors';

/** AES-256-GCM as this package and trigger.dev use it: a 96-bit nonce and a 128-bit tag. */
export const ALGORITHM = 'aes-256-gcm';
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** A ciphertext as an envelope carries it. */
export interface SealedParts {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The plaintext of `parts` under `material`; a wrong key, tag or additional data is SecretDecryptionError. */
export function decrypt(
  key: string,
  keyId: string | undefined,
  material: KeyObject,
  parts: SealedParts,
  aad: Buffer | undefined,
): string {
  if (parts.nonce.length !== NONCE_BYTES) throw new SecretCorruptError(key, `the nonce is not ${NONCE_BYTES} bytes`);
  if (parts.tag.length !== TAG_BYTES) throw new SecretCorruptError(key, `the tag is not ${TAG_BYTES} bytes`);
  try {
    const decipher = createDecipheriv(ALGORITHM, material, parts.nonce, { authTagLength: TAG_BYTES });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    const plaintext = decipher.update(parts.ciphertext).toString('utf8');
    // GCM is a stream mode: final() returns no bytes, it only checks the tag.
    decipher.final();
    return plaintext;
  } catch {
    // node:crypto's message says nothing useful and the plaintext is never in it; still, keep no cause.
    throw new SecretDecryptionError(key, keyId, 'authentication failed (wrong key, or the row was altered or moved)');
  }
}
