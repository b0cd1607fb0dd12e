/**
 * Where the optional sodium-native is not installed, or is installed but cannot load: a configuration error to
 * write XChaCha20-Poly1305, a typed error to read it, each saying which and why; AES-256-GCM goes on.
 */
import { randomBytes } from 'node:crypto';

import type * as SecretCodecModule from '../../src/encryption/secret-codec';

type CodecModule = typeof SecretCodecModule;

let mockFailure: Error = new Error('unset');
jest.mock('sodium-native', () => {
  throw mockFailure;
});

/** The codec module in a registry of its own, so that sodium-native is loaded (and fails) afresh. */
function freshCodecModule(failure: Error): CodecModule {
  mockFailure = failure;
  let loaded: CodecModule | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<CodecModule>('../../src/encryption/secret-codec');
  });
  return loaded as CodecModule;
}

// Bytes, not an EncryptionKey: the fresh registry has a class of its own.
const keyring = { keys: { k1: new Uint8Array(randomBytes(32)) }, activeKeyId: 'k1' };

function thrownBy(work: () => unknown): { code?: string; setting?: string; message: string } {
  try {
    work();
  } catch (error) {
    return error as { code?: string; setting?: string; message: string };
  }
  throw new Error('nothing was thrown');
}

const notInstalled = Object.assign(new Error("Cannot find module 'sodium-native'"), { code: 'MODULE_NOT_FOUND' });
const notLoadable = new Error('No native build was found for platform=linux arch=x64 runtime=node abi=115 libc=musl');

describe.each([
  ['not installed', notInstalled, 'npm install sodium-native'],
  ['installed but not loadable', notLoadable, 'could not be loaded: No native build was found'],
])('with sodium-native %s', (_, failure, says) => {
  it('refuses to write XChaCha20-Poly1305, saying why', () => {
    const { createCodec } = freshCodecModule(failure);
    const error = thrownBy(() => createCodec({ ...keyring, algorithm: 'xchacha20-poly1305' }));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'encryption.algorithm' });
    expect(error.message).toContain(says);
  });

  it('fails to read an XChaCha20-Poly1305 row with SECRET_DECRYPTION_FAILED saying why, and reads AES-256-GCM', () => {
    const { createCodec } = freshCodecModule(failure);
    const codec = createCodec(keyring);
    expect(codec.describe()).toMatchObject({ sodiumNative: false });
    const envelope = JSON.stringify({ v: 2, kid: 'k1', nonce: 'A'.repeat(32), ct: 'AAAA', tag: `${'A'.repeat(22)}==` });
    const error = thrownBy(() =>
      codec.decode('app/a', { valueJson: envelope, encoding: 'xchacha20-poly1305', keyId: 'k1', writeId: 'w1' }),
    );
    expect(error).toMatchObject({ code: 'SECRET_DECRYPTION_FAILED' });
    expect(error.message).toContain(says);
    const gcm = { ...codec.encode('app/a', '{"n":1}', 'w1'), writeId: 'w1' };
    expect(codec.decode('app/a', gcm)).toBe('{"n":1}');
  });
});
