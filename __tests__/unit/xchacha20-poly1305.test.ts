/** The XChaCha20-Poly1305 encoding: what it writes, what it refuses, and that it never shares a key with AES-GCM. */
import { hkdfSync, randomBytes } from 'node:crypto';

import { EncryptionKey, SecretCorruptError, SecretDecryptionError, type WrittenValue } from '../../src';
import { createCodec } from '../../src/encryption/secret-codec';
import { loadSodium, type Sodium } from '../../src/encryption/xchacha20-poly1305';

const sodium = loadSodium().library as Sodium;

const MARKER = 'sk_live_XCHACHA_MARKER_5e1b';
const json = JSON.stringify({ token: MARKER });
const bytes = randomBytes(32);
const keyring = { keys: { k1: EncryptionKey.fromBytes(bytes) }, activeKeyId: 'k1' };
const xchacha = createCodec({ ...keyring, algorithm: 'xchacha20-poly1305' });
const gcm = createCodec(keyring);

function written(codec: typeof xchacha, key: string, writeId: string): WrittenValue {
  return { ...codec.encode(key, json, writeId), writeId };
}

function envelope(value: WrittenValue): { v: number; kid: string; nonce: string; ct: string; tag: string } {
  return JSON.parse(value.valueJson) as { v: number; kid: string; nonce: string; ct: string; tag: string };
}

describe('xchacha20-poly1305', () => {
  it('writes the same envelope shape under its own encoding, with a 24-byte nonce and nothing in clear', () => {
    const value = written(xchacha, 'app/a', 'w1');
    expect(value.encoding).toBe('xchacha20-poly1305');
    expect(value.keyId).toBe('k1');
    const fields = envelope(value);
    expect(Object.keys(fields)).toEqual(['v', 'kid', 'nonce', 'ct', 'tag']);
    expect(Buffer.from(fields.nonce, 'base64')).toHaveLength(24);
    expect(Buffer.from(fields.tag, 'base64')).toHaveLength(16);
    expect(value.valueJson).not.toContain(MARKER);
    expect(xchacha.decode('app/a', value)).toBe(json);
    expect(envelope(written(xchacha, 'app/a', 'w1')).nonce).not.toBe(fields.nonce);
  });

  it('is read by a store that writes AES-256-GCM, and the other way round', () => {
    expect(gcm.decode('app/a', written(xchacha, 'app/a', 'w1'))).toBe(json);
    expect(xchacha.decode('app/a', written(gcm, 'app/a', 'w1'))).toBe(json);
    expect(xchacha.describe()).toMatchObject({
      encryption: 'aes-256-gcm',
      algorithm: 'xchacha20-poly1305',
      sodiumNative: true,
    });
    expect(xchacha.activeEncoding).toBe('xchacha20-poly1305');
    expect(gcm.activeEncoding).toBe('aes-256-gcm');
  });

  it('fails on a moved, relabelled or altered value', () => {
    const value = written(xchacha, 'app/a', 'w1');
    expect(() => xchacha.decode('app/b', value)).toThrow(SecretDecryptionError);
    expect(() => xchacha.decode('app/a', { ...value, writeId: 'w2' })).toThrow(SecretDecryptionError);
    // The same bytes taken for AES-GCM's: another algorithm, and another key.
    expect(() => xchacha.decode('app/a', { ...value, encoding: 'aes-256-gcm' })).toThrow(SecretCorruptError);
    const fields = envelope(value);
    const ct = Buffer.from(fields.ct, 'base64');
    ct[0] ^= 1;
    const altered = { ...value, valueJson: JSON.stringify({ ...fields, ct: ct.toString('base64') }) };
    expect(() => xchacha.decode('app/a', altered)).toThrow(SecretDecryptionError);
    const shortNonce = {
      ...value,
      valueJson: JSON.stringify({ ...fields, nonce: Buffer.alloc(12).toString('base64') }),
    };
    expect(() => xchacha.decode('app/a', shortNonce)).toThrow(SecretCorruptError);
  });

  it('seals under a key derived from the keyring key (HKDF-SHA256), never under the key itself', () => {
    const value = written(xchacha, 'app/a', 'w1');
    const fields = envelope(value);
    const sealed = Buffer.concat([Buffer.from(fields.ct, 'base64'), Buffer.from(fields.tag, 'base64')]);
    const aad = Buffer.from(JSON.stringify(['@kongflow/secretstore', 2, 'k1', 'app/a', 'w1']), 'utf8');
    const open = (key: Buffer) => {
      const message = Buffer.alloc(sealed.length - 16);
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        message,
        null,
        sealed,
        aad,
        Buffer.from(fields.nonce, 'base64'),
        key,
      );
      return message.toString('utf8');
    };
    const derived = Buffer.from(
      hkdfSync('sha256', bytes, Buffer.alloc(0), '@kongflow/secretstore xchacha20-poly1305', 32),
    );
    expect(open(derived)).toBe(json);
    expect(() => open(bytes)).toThrow();
  });

  it('refuses an unknown algorithm', () => {
    let thrown: unknown;
    try {
      createCodec({ ...keyring, algorithm: 'chacha' as 'aes-256-gcm' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'encryption.algorithm' });
  });
});
