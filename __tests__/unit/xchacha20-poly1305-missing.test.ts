/** Where the optional sodium-native is not installed: a clear configuration error to write, a typed error to read. */
import { EncryptionKey, SecretDecryptionError } from '../../src';
import { createCodec } from '../../src/encryption/secret-codec';

jest.mock('sodium-native', () => {
  throw new Error("Cannot find module 'sodium-native'");
});

const keyring = { keys: { k1: EncryptionKey.generate() }, activeKeyId: 'k1' };

describe('without sodium-native', () => {
  it('refuses to write XChaCha20-Poly1305, naming the package to install', () => {
    let thrown: unknown;
    try {
      createCodec({ ...keyring, algorithm: 'xchacha20-poly1305' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'encryption.algorithm' });
    expect((thrown as Error).message).toContain('npm install sodium-native');
  });

  it('fails to read an XChaCha20-Poly1305 row with SecretDecryptionError saying why, and still reads AES-GCM', () => {
    const codec = createCodec(keyring);
    const envelope = JSON.stringify({ v: 2, kid: 'k1', nonce: 'A'.repeat(32), ct: 'AAAA', tag: 'A'.repeat(22) + '==' });
    const read = () =>
      codec.decode('app/a', { valueJson: envelope, encoding: 'xchacha20-poly1305', keyId: 'k1', writeId: 'w1' });
    expect(read).toThrow(SecretDecryptionError);
    expect(read).toThrow(/sodium-native is not installed/);
    const gcm = { ...codec.encode('app/a', '{"n":1}', 'w1'), writeId: 'w1' };
    expect(codec.decode('app/a', gcm)).toBe('{"n":1}');
  });
});
