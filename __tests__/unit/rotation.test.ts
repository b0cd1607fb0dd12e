import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import {
  DatabaseOperationError,
  InvalidArgumentError,
  EncryptionKey,
  SecretStore,
  SecretStoreConfigError,
  type EncryptionOptions,
  type KeyringOptions,
  type SecretRecord,
  type SecretStoreRepository,
  type StoredValue,
} from '../../src';
import { sealedValue, triggerDevValue } from '../support/envelopes';
import { expectRejection } from '../support/errors';
import {
  calledMethods,
  mockSecretStoreRepository,
  storedRecord,
  storedValueOf,
} from '../support/mock-secret-store-repository';

const k1Bytes = randomBytes(32);
const k1 = EncryptionKey.fromBytes(k1Bytes);
const k2 = EncryptionKey.generate();
const triggerDevKey = 'T'.repeat(32);
/** k2 is active; k1 and trigger.dev's key still read. */
const rotating: KeyringOptions = { keys: { k2, k1 }, activeKeyId: 'k2', legacyTriggerDevKey: triggerDevKey };
/** Only the new key: what the store is configured with once rotation is done. */
const rotated: KeyringOptions = { keys: { k2 }, activeKeyId: 'k2', acceptPlaintext: false };

let repository: jest.Mocked<SecretStoreRepository>;
let store: SecretStore;

beforeEach(() => {
  repository = mockSecretStoreRepository();
  repository.reencryptSecret.mockResolvedValue(true);
  store = new SecretStore(repository, { encryption: rotating });
});

/** Reads `stored` back as the secret `key` through a store of `encryption`. */
function readBack(key: string, stored: StoredValue, encryption: EncryptionOptions): Promise<unknown> {
  const reader = mockSecretStoreRepository();
  reader.getSecret.mockResolvedValue(storedRecord(key, stored));
  return new SecretStore(reader, { encryption }).getSecret(z.unknown(), key);
}

/** Makes listSecretsToRotate return `batches` one after the other, then nothing. */
function listInBatches(...batches: SecretRecord[][]): void {
  for (const batch of batches) repository.listSecretsToRotate.mockResolvedValueOnce(batch);
  repository.listSecretsToRotate.mockResolvedValue([]);
}

function plainRecords(...keys: string[]): SecretRecord[] {
  return keys.map((key) => storedRecord(key, { valueJson: JSON.stringify({ key }), encoding: 'plain', keyId: null }));
}

describe('paging', () => {
  it('pages through listSecretsToRotate after the last key of each batch, until a short batch', async () => {
    listInBatches(plainRecords('a', 'b'), plainRecords('c', 'd'), plainRecords('e'));

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(repository.listSecretsToRotate.mock.calls).toEqual([
      ['k2', '', 2],
      ['k2', 'b', 2],
      ['k2', 'd', 2],
    ]);
    expect(repository.reencryptSecret.mock.calls.map(([key]) => key)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result).toEqual({ scanned: 5, reEncrypted: 5, skipped: 0, failed: [] });
  });

  it('asks once more after a full batch, and stops on an empty one', async () => {
    listInBatches(plainRecords('a', 'b'));

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(repository.listSecretsToRotate.mock.calls).toEqual([
      ['k2', '', 2],
      ['k2', 'b', 2],
    ]);
    expect(result.scanned).toBe(2);
  });

  it('reads 100 rows at a time by default, and writes nothing when there is nothing to rotate', async () => {
    listInBatches();

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({ scanned: 0, reEncrypted: 0, skipped: 0, failed: [] });
    expect(repository.listSecretsToRotate.mock.calls).toEqual([['k2', '', 100]]);
    expect(calledMethods(repository)).toEqual(['listSecretsToRotate']);
  });

  it('moves past a batch in which every row failed', async () => {
    const unreadable = storedRecord(
      'a',
      await storedValueOf('a', {}, { keys: { k9: EncryptionKey.generate() }, activeKeyId: 'k9' }),
    );
    listInBatches([unreadable], plainRecords('b'));

    const result = await store.rotateEncryptionKeys({ batchSize: 1 });

    expect(repository.listSecretsToRotate.mock.calls).toEqual([
      ['k2', '', 1],
      ['k2', 'a', 1],
      ['k2', 'b', 1],
    ]);
    expect(result).toEqual({
      scanned: 2,
      reEncrypted: 1,
      skipped: 0,
      failed: [{ key: 'a', code: 'SECRET_DECRYPTION_FAILED' }],
    });
  });
});

describe('re-encryption', () => {
  const value = { token: 'tok_1', scopes: ['read'] };

  it.each<[string, () => Promise<StoredValue>]>([
    ['a plaintext record', async () => ({ valueJson: JSON.stringify(value), encoding: 'plain', keyId: null })],
    ['a trigger.dev record', async () => triggerDevValue(triggerDevKey, JSON.stringify(value))],
    ['a record under the old key', () => storedValueOf('svc/a', value, { keys: { k1 }, activeKeyId: 'k1' })],
  ])('rewrites %s under the active key, at the version it read', async (_, stored) => {
    listInBatches([storedRecord('svc/a', await stored(), 7)]);

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({ scanned: 1, reEncrypted: 1, skipped: 0, failed: [] });

    expect(repository.reencryptSecret).toHaveBeenCalledTimes(1);
    const [key, version, rewritten] = repository.reencryptSecret.mock.calls[0];
    expect([key, version]).toEqual(['svc/a', 7]);
    expect(rewritten).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k2' });
    await expect(readBack('svc/a', rewritten, rotated)).resolves.toEqual(value);
  });

  it('counts rows a concurrent write changed as skipped, and rows it cannot read as failed, and goes on', async () => {
    const unknownKey = { keys: { k9: EncryptionKey.generate() }, activeKeyId: 'k9' };
    listInBatches([
      ...plainRecords('a', 'b'),
      storedRecord('c', await storedValueOf('c', { n: 3 }, unknownKey)),
      ...plainRecords('d'),
    ]);
    repository.reencryptSecret.mockImplementation(async (key) => key !== 'b');

    const result = await store.rotateEncryptionKeys();

    expect(result).toEqual({
      scanned: 4,
      reEncrypted: 2,
      skipped: 1,
      failed: [{ key: 'c', code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(repository.reencryptSecret.mock.calls.map(([key]) => key)).toEqual(['a', 'b', 'd']);
  });

  it.each<[string, () => StoredValue, string]>([
    [
      'an envelope sealed under another key of the same id',
      () => sealedValue(randomBytes(32), 'k1', 'svc/a', '{}'),
      'SECRET_DECRYPTION_FAILED',
    ],
    ['a malformed envelope', () => ({ valueJson: '{"v":1}', encoding: 'aes-256-gcm', keyId: 'k1' }), 'SECRET_CORRUPT'],
    [
      'a trigger.dev record under another trigger.dev key',
      () => triggerDevValue('U'.repeat(32), '{}'),
      'SECRET_DECRYPTION_FAILED',
    ],
  ])('reports %s as failed with its code and leaves it alone', async (_, stored, code) => {
    listInBatches([storedRecord('svc/a', stored())]);

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({
      scanned: 1,
      reEncrypted: 0,
      skipped: 0,
      failed: [{ key: 'svc/a', code }],
    });
    expect(repository.reencryptSecret).not.toHaveBeenCalled();
  });

  it('reports plaintext rows as failed when the store does not accept plaintext', async () => {
    store = new SecretStore(repository, { encryption: { ...rotating, acceptPlaintext: false } });
    listInBatches(plainRecords('a'));

    await expect(store.rotateEncryptionKeys()).resolves.toMatchObject({
      failed: [{ key: 'a', code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(repository.reencryptSecret).not.toHaveBeenCalled();
  });

  // Bug (service.ts rotateEncryptionKeys): a row that decrypts to text that is not JSON is re-encrypted and
  // counted in reEncrypted, though getSecret reads it as SecretCorruptError and RotationResult says corrupt
  // rows are listed in failed. Flip to `it` once rotation checks the decrypted text is JSON.
  it.each<[string, () => StoredValue]>([
    ['under the old key', () => sealedValue(k1Bytes, 'k1', 'svc/a', 'not json')],
    ['from trigger.dev', () => triggerDevValue(triggerDevKey, 'not json')],
  ])('reports a row %s whose plaintext is not JSON as corrupt', async (_, stored) => {
    listInBatches([storedRecord('svc/a', stored())]);

    await expect(store.rotateEncryptionKeys()).resolves.toMatchObject({
      reEncrypted: 0,
      failed: [{ key: 'svc/a', code: 'SECRET_CORRUPT' }],
    });
    expect(repository.reencryptSecret).not.toHaveBeenCalled();
  });
});

describe('failures', () => {
  it.each<[string, Error, (error: Error) => void]>([
    [
      'listSecretsToRotate',
      new Error('connection reset'),
      (error) => repository.listSecretsToRotate.mockReset().mockRejectedValue(error),
    ],
    [
      'reencryptSecret',
      new DatabaseOperationError('Re-encrypting secret "a"', '40001', 'conflict'),
      (error) => repository.reencryptSecret.mockRejectedValue(error),
    ],
  ])('lets an error of %s through unchanged', async (_, failure, arrange) => {
    listInBatches(plainRecords('a'));
    arrange(failure);

    await expect(store.rotateEncryptionKeys()).rejects.toBe(failure);
  });

  it('lets an error that is not a SecretStoreError, met while reading a row, through rather than count it', async () => {
    const bug = new TypeError('not a row');
    const record = Object.defineProperty(plainRecords('a')[0], 'valueJson', {
      get(): string {
        throw bug;
      },
    });
    listInBatches([record]);

    await expect(store.rotateEncryptionKeys()).rejects.toBe(bug);
    expect(repository.reencryptSecret).not.toHaveBeenCalled();
  });

  it.each([0, -1, 1.5, Number.NaN, 100_001, '10'])(
    'refuses batchSize %p with InvalidArgumentError before reading',
    async (batchSize) => {
      const error = await expectRejection(
        store.rotateEncryptionKeys({ batchSize: batchSize as number }),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );

      expect(error).toMatchObject({ argument: 'batchSize' });
      expect(calledMethods(repository)).toEqual([]);
    },
  );

  it("refuses to run on a store with encryption 'none'", async () => {
    const plaintext = new SecretStore(repository, { encryption: 'none' });

    const error = await expectRejection(
      plaintext.rotateEncryptionKeys(),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );

    expect(error).toMatchObject({ setting: 'encryption' });
    expect(calledMethods(repository)).toEqual([]);
  });
});
