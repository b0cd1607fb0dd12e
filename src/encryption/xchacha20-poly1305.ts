import { hkdfSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

import { SecretCorruptError, SecretDecryptionError } from '../errors';
import type { SealedParts } from './aes-gcm';

/** The encoding of rows sealed with XChaCha20-Poly1305 (libsodium's IETF construction): a 192-bit nonce, a 128-bit tag. */
export const XCHACHA_ENCODING = 'xchacha20-poly1305';
const XCHACHA_NONCE_BYTES = 24;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** HKDF info: a keyring key is never used as it is by two algorithms. */
const SUBKEY_INFO = '@kongflow/secretstore xchacha20-poly1305';

/** The part of sodium-native this package calls. */
export interface Sodium {
  crypto_aead_xchacha20poly1305_ietf_encrypt(
    ciphertext: Buffer,
    message: Buffer,
    additionalData: Buffer | null,
    secretNonce: null,
    nonce: Buffer,
    key: Buffer,
  ): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(
    message: Buffer,
    secretNonce: null,
    ciphertext: Buffer,
    additionalData: Buffer | null,
    nonce: Buffer,
    key: Buffer,
  ): number;
  randombytes_buf(buffer: Buffer): void;
}

/** sodium-native as loaded: the library, or why it could not be. */
export type LoadedSodium = { library: Sodium; problem?: undefined } | { library: null; problem: string };

let loaded: LoadedSodium | undefined;

function isModuleNotFound(error: unknown): boolean {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes("'sodium-native'");
}

/**
 * sodium-native, an optional peer dependency, loaded on first use. Through createRequire, which works in the
 * CommonJS and the ESM builds alike (the ESM build has no `require`). Not installed, and installed but not
 * loadable (no native build for this platform, an ABI mismatch), are told apart: the second says why.
 */
export function loadSodium(): LoadedSodium {
  if (loaded !== undefined) return loaded;
  try {
    loaded = { library: createRequire(__filename)('sodium-native') as Sodium };
  } catch (error) {
    const problem = isModuleNotFound(error)
      ? 'the optional dependency sodium-native is not installed (npm install sodium-native)'
      : `sodium-native is installed but could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
    loaded = { library: null, problem };
  }
  return loaded;
}

/** The XChaCha20-Poly1305 key of a keyring key: HKDF-SHA256 of it, so that it is never the AES key itself. */
export function xchachaKeyOf(material: KeyObject): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), SUBKEY_INFO, KEY_BYTES));
}

/** Seals `plaintext` under `key` with a fresh random nonce; the tag is returned apart, as envelopes carry it. */
export function xchachaSeal(library: Sodium, key: Buffer, plaintext: string, aad: Buffer): SealedParts {
  const message = Buffer.from(plaintext, 'utf8');
  const nonce = Buffer.allocUnsafe(XCHACHA_NONCE_BYTES);
  library.randombytes_buf(nonce);
  const sealed = Buffer.allocUnsafe(message.length + TAG_BYTES);
  library.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, message, aad, null, nonce, key);
  return { nonce, ciphertext: sealed.subarray(0, message.length), tag: sealed.subarray(message.length) };
}

/** The plaintext of `parts`; a wrong key, tag or additional data is SecretDecryptionError. */
export function xchachaOpen(
  library: Sodium,
  secretKey: string,
  keyId: string,
  key: Buffer,
  parts: SealedParts,
  aad: Buffer,
): string {
  if (parts.nonce.length !== XCHACHA_NONCE_BYTES) {
    throw new SecretCorruptError(secretKey, `the nonce is not ${XCHACHA_NONCE_BYTES} bytes`);
  }
  if (parts.tag.length !== TAG_BYTES) throw new SecretCorruptError(secretKey, `the tag is not ${TAG_BYTES} bytes`);
  const message = Buffer.allocUnsafe(parts.ciphertext.length);
  try {
    library.crypto_aead_xchacha20poly1305_ietf_decrypt(
      message,
      null,
      Buffer.concat([parts.ciphertext, parts.tag]),
      aad,
      parts.nonce,
      key,
    );
  } catch {
    throw new SecretDecryptionError(
      secretKey,
      keyId,
      'authentication failed (wrong key, or the row was altered or moved)',
    );
  }
  return message.toString('utf8');
}
