import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import {
  DatabaseOperationError,
  InvalidArgumentError,
  EncryptionKey,
  SecretStore,
  SecretStoreConfigError,
  StatementTimeoutError,
  TransactionConflictError,
  type EncryptionOptions,
  type KeyringOptions,
  type SecretStoreRepository,
  type SecretVersionRecord,
  type StoredValue,
  type WrittenValue,
} from '../../src';
import { sealedValue, triggerDevValue } from '../support/envelopes';
import { expectRejection } from '../support/errors';
import { calledMethods, mockSecretStoreRepository, storedValueOf } from '../support/mock-secret-store-repository';

const k1Bytes = randomBytes(32);
const k1 = EncryptionKey.fromBytes(k1Bytes);
const k2 = EncryptionKey.generate();
const triggerDevKey = 'T'.repeat(32);
/** k2 is active; k1 and trigger.dev's key still read. */
const rotating: KeyringOptions = { keys: { k2, k1 }, activeKeyId: 'k2', legacyTriggerDevKey: triggerDevKey };
/** Only the new key: what the store is configured with once rotation is done. */
const rotated: KeyringOptions = { keys: { k2 }, activeKeyId: 'k2', acceptPlaintext: false };

/** What a run that found nothing to do resolves. */
const NOTHING_DONE = { scanned: 0, reEncrypted: 0, skipped: 0, failed: [], auditCheckpointsResealed: 0 };

/** Repository methods that change something: none of them may run when there is nothing to rotate. */
const WRITES = ['reencryptVersion', 'sealAuditRecords', 'resealAuditCheckpoint', 'appendAuditRecord'] as const;

let repository: jest.Mocked<SecretStoreRepository>;
let store: SecretStore;

beforeEach(() => {
  repository = mockSecretStoreRepository();
  repository.reencryptVersion.mockResolvedValue(true);
  store = new SecretStore(repository, { encryption: rotating });
});

/** A kept version as listVersionsToRotate returns it: `stored`, of the write it names (if any). */
function versionRecord(key: string, stored: StoredValue | WrittenValue, version = 1): SecretVersionRecord {
  const writeId = 'writeId' in stored ? stored.writeId : null;
  return { key, ...stored, writeId, version, createdAt: new Date('2024-01-02T03:04:05Z') };
}

/** Reads `stored` back as version `version` of `key`, written by `writeId`, through a store of `encryption`. */
function readBack(
  key: string,
  version: number,
  stored: StoredValue,
  writeId: string | null,
  encryption: EncryptionOptions,
): Promise<unknown> {
  const reader = mockSecretStoreRepository();
  reader.getSecretVersion.mockResolvedValue(versionRecord(key, { ...stored, writeId }, version));
  return new SecretStore(reader, { encryption }).getSecretVersion(z.unknown(), key, version);
}

/** Makes listVersionsToRotate return `batches` one after the other, then nothing. */
function listInBatches(...batches: SecretVersionRecord[][]): void {
  for (const batch of batches) repository.listVersionsToRotate.mockResolvedValueOnce(batch);
  repository.listVersionsToRotate.mockResolvedValue([]);
}

function plainVersions(...keys: string[]): SecretVersionRecord[] {
  return keys.map((key) => versionRecord(key, { valueJson: JSON.stringify({ key }), encoding: 'plain', keyId: null }));
}

/** The key and version of every reencryptVersion call, in order. */
function reencrypted(): [string, number][] {
  return repository.reencryptVersion.mock.calls.map(([from]) => [from.key, from.version]);
}

describe('paging', () => {
  it('pages through listVersionsToRotate after the last key and version of each batch, until a short batch', async () => {
    listInBatches(plainVersions('a', 'b'), plainVersions('c', 'd'), plainVersions('e'));

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(repository.listVersionsToRotate.mock.calls).toEqual([
      ['k2', { key: '', version: 0 }, 2, 'aes-256-gcm'],
      ['k2', { key: 'b', version: 1 }, 2, 'aes-256-gcm'],
      ['k2', { key: 'd', version: 1 }, 2, 'aes-256-gcm'],
    ]);
    expect(reencrypted()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 1],
    ]);
    expect(result).toEqual({ ...NOTHING_DONE, scanned: 5, reEncrypted: 5 });
  });

  it('pages through the versions of one key, resuming after the last version read', async () => {
    const plain = { valueJson: '{"n":1}', encoding: 'plain', keyId: null } as const;
    listInBatches(
      [versionRecord('a', plain, 3), versionRecord('a', plain, 5)],
      [versionRecord('a', plain, 9), versionRecord('b', plain, 1)],
    );

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(repository.listVersionsToRotate.mock.calls).toEqual([
      ['k2', { key: '', version: 0 }, 2, 'aes-256-gcm'],
      ['k2', { key: 'a', version: 5 }, 2, 'aes-256-gcm'],
      ['k2', { key: 'b', version: 1 }, 2, 'aes-256-gcm'],
    ]);
    expect(reencrypted()).toEqual([
      ['a', 3],
      ['a', 5],
      ['a', 9],
      ['b', 1],
    ]);
    expect(result).toMatchObject({ scanned: 4, reEncrypted: 4 });
  });

  it('asks once more after a full batch, and stops on an empty one', async () => {
    listInBatches(plainVersions('a', 'b'));

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(repository.listVersionsToRotate.mock.calls).toEqual([
      ['k2', { key: '', version: 0 }, 2, 'aes-256-gcm'],
      ['k2', { key: 'b', version: 1 }, 2, 'aes-256-gcm'],
    ]);
    expect(result.scanned).toBe(2);
  });

  it('reads 100 versions at a time by default, and writes nothing when there is nothing to rotate', async () => {
    listInBatches();

    await expect(store.rotateEncryptionKeys()).resolves.toEqual(NOTHING_DONE);
    expect(repository.listVersionsToRotate.mock.calls).toEqual([['k2', { key: '', version: 0 }, 100, 'aes-256-gcm']]);
    const called = calledMethods(repository);
    for (const write of WRITES) expect(called).not.toContain(write);
  });

  it('moves past a batch in which every version failed', async () => {
    const unreadable = versionRecord(
      'a',
      await storedValueOf('a', {}, { keys: { k9: EncryptionKey.generate() }, activeKeyId: 'k9' }),
      4,
    );
    listInBatches([unreadable], plainVersions('b'));

    const result = await store.rotateEncryptionKeys({ batchSize: 1 });

    expect(repository.listVersionsToRotate.mock.calls).toEqual([
      ['k2', { key: '', version: 0 }, 1, 'aes-256-gcm'],
      ['k2', { key: 'a', version: 4 }, 1, 'aes-256-gcm'],
      ['k2', { key: 'b', version: 1 }, 1, 'aes-256-gcm'],
    ]);
    expect(result).toEqual({
      ...NOTHING_DONE,
      scanned: 2,
      reEncrypted: 1,
      failed: [{ key: 'a', version: 4, code: 'SECRET_DECRYPTION_FAILED' }],
    });
  });
});

describe('re-encryption', () => {
  const value = { token: 'tok_1', scopes: ['read'] };

  it.each<[string, () => Promise<StoredValue | WrittenValue>]>([
    ['a plaintext version', async () => ({ valueJson: JSON.stringify(value), encoding: 'plain', keyId: null })],
    ['a trigger.dev version', async () => triggerDevValue(triggerDevKey, JSON.stringify(value))],
    ['a version under the old key', () => storedValueOf('svc/a', value, { keys: { k1 }, activeKeyId: 'k1' })],
    [
      'a version under the old key, written before writes had ids',
      async () => sealedValue(k1Bytes, 'k1', 'svc/a', JSON.stringify(value)),
    ],
  ])('rewrites %s under the active key, bound to the same write, as the version it read', async (_, stored) => {
    const from = versionRecord('svc/a', await stored(), 7);
    listInBatches([from]);

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({ ...NOTHING_DONE, scanned: 1, reEncrypted: 1 });

    expect(repository.reencryptVersion).toHaveBeenCalledTimes(1);
    const [passed, rewritten] = repository.reencryptVersion.mock.calls[0];
    // The version as it was read: the repository rewrites it only if it is still that write, under that key.
    expect(passed).toEqual(from);
    expect(rewritten).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k2' });
    await expect(readBack('svc/a', 7, rewritten, from.writeId, rotated)).resolves.toEqual(value);
  });

  it('binds the new ciphertext to the write it re-encrypts, so it cannot pass for another write', async () => {
    const from = versionRecord('svc/a', await storedValueOf('svc/a', value, { keys: { k1 }, activeKeyId: 'k1' }), 2);
    expect(from.writeId).not.toBeNull();
    listInBatches([from]);

    await store.rotateEncryptionKeys();

    const [, rewritten] = repository.reencryptVersion.mock.calls[0];
    await expect(readBack('svc/a', 2, rewritten, 'another-write', rotated)).rejects.toMatchObject({
      code: 'SECRET_DECRYPTION_FAILED',
    });
    await expect(readBack('svc/b', 2, rewritten, from.writeId, rotated)).rejects.toMatchObject({
      code: 'SECRET_DECRYPTION_FAILED',
    });
  });

  it('gives each rewrite a rotate audit record of its write, signed under the active key', async () => {
    const [a, b] = plainVersions('a', 'b');
    listInBatches([{ ...a, writeId: 'write-a' }, b]);

    await store.rotateEncryptionKeys({ actor: 'rotation-job' });

    const audits = repository.reencryptVersion.mock.calls.map(([, , audit]) => audit);
    expect(audits).toEqual([
      expect.objectContaining({
        operation: 'rotate',
        key: 'a',
        writeId: 'write-a',
        actor: 'rotation-job',
        macKeyId: 'k2',
      }),
      expect.objectContaining({ operation: 'rotate', key: 'b', writeId: null, actor: 'rotation-job', macKeyId: 'k2' }),
    ]);
    expect(new Set(audits.map(({ id }) => id)).size).toBe(2);
    expect(audits.every(({ mac }) => mac.length > 0)).toBe(true);
  });

  it('takes the actor of withActor when the call names none', async () => {
    listInBatches(plainVersions('a'));

    await store.withActor('scheduler', () => store.rotateEncryptionKeys());

    expect(repository.reencryptVersion.mock.calls[0][2]).toMatchObject({ actor: 'scheduler' });
  });

  it('creates no version: it never writes a value through writeSecret, upsertSecrets or a restore', async () => {
    listInBatches(plainVersions('a', 'b'));

    await store.rotateEncryptionKeys();

    expect(repository.writeSecret).not.toHaveBeenCalled();
    expect(repository.upsertSecrets).not.toHaveBeenCalled();
  });

  it('seals the audit trail and reseals its checkpoints once, in one transaction, after every version', async () => {
    listInBatches(plainVersions('a', 'b'), plainVersions('c'));
    const order: string[] = [];
    repository.reencryptVersion.mockImplementation(async (from) => {
      order.push(`reencrypt ${from.key}`);
      return true;
    });
    repository.transaction.mockImplementation(async (work) => {
      order.push('begin');
      const result = await work(repository);
      order.push('commit');
      return result;
    });
    repository.lockAuditTrail.mockImplementation(async () => {
      order.push('lock');
    });

    await store.rotateEncryptionKeys({ batchSize: 2 });

    // Sealing, then resealing, each takes the audit trail's lock, inside the one transaction.
    expect(order).toEqual(['reencrypt a', 'reencrypt b', 'reencrypt c', 'begin', 'lock', 'lock', 'commit']);
    expect(repository.readUnsealedAuditRecords).toHaveBeenCalled();
    expect(repository.listAuditCheckpoints).toHaveBeenCalled();
  });

  it('counts versions a concurrent change rewrote or removed as skipped, and ones it cannot read as failed, and goes on', async () => {
    const unknownKey = { keys: { k9: EncryptionKey.generate() }, activeKeyId: 'k9' };
    listInBatches([
      ...plainVersions('a', 'b'),
      versionRecord('c', await storedValueOf('c', { n: 3 }, unknownKey), 2),
      ...plainVersions('d'),
    ]);
    repository.reencryptVersion.mockImplementation(async (from) => from.key !== 'b');

    const result = await store.rotateEncryptionKeys();

    expect(result).toEqual({
      ...NOTHING_DONE,
      scanned: 4,
      reEncrypted: 2,
      skipped: 1,
      failed: [{ key: 'c', version: 2, code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(reencrypted()).toEqual([
      ['a', 1],
      ['b', 1],
      ['d', 1],
    ]);
  });

  it.each<[string, () => StoredValue, string]>([
    [
      'an envelope sealed under another key of the same id',
      () => sealedValue(randomBytes(32), 'k1', 'svc/a', '{}'),
      'SECRET_DECRYPTION_FAILED',
    ],
    ['a malformed envelope', () => ({ valueJson: '{"v":1}', encoding: 'aes-256-gcm', keyId: 'k1' }), 'SECRET_CORRUPT'],
    [
      'a trigger.dev version under another trigger.dev key',
      () => triggerDevValue('U'.repeat(32), '{}'),
      'SECRET_DECRYPTION_FAILED',
    ],
    ['an envelope sealed for another key', () => sealedValue(k1Bytes, 'k1', 'svc/b', '{}'), 'SECRET_DECRYPTION_FAILED'],
  ])('reports %s as failed with its code and leaves it alone', async (_, stored, code) => {
    listInBatches([versionRecord('svc/a', stored(), 3)]);

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({
      ...NOTHING_DONE,
      scanned: 1,
      failed: [{ key: 'svc/a', version: 3, code }],
    });
    expect(repository.reencryptVersion).not.toHaveBeenCalled();
  });

  it('reports plaintext versions as failed when the store does not accept plaintext', async () => {
    store = new SecretStore(repository, { encryption: { ...rotating, acceptPlaintext: false } });
    listInBatches(plainVersions('a'));

    await expect(store.rotateEncryptionKeys()).resolves.toMatchObject({
      failed: [{ key: 'a', version: 1, code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(repository.reencryptVersion).not.toHaveBeenCalled();
  });

  it.each<[string, () => StoredValue]>([
    ['under the old key', () => sealedValue(k1Bytes, 'k1', 'svc/a', 'not json')],
    ['from trigger.dev', () => triggerDevValue(triggerDevKey, 'not json')],
  ])('reports a version %s whose plaintext is not JSON as corrupt', async (_, stored) => {
    listInBatches([versionRecord('svc/a', stored())]);

    await expect(store.rotateEncryptionKeys()).resolves.toMatchObject({
      reEncrypted: 0,
      failed: [{ key: 'svc/a', version: 1, code: 'SECRET_CORRUPT' }],
    });
    expect(repository.reencryptVersion).not.toHaveBeenCalled();
  });
});

describe('failures', () => {
  it.each<[string, Error, (error: Error) => void]>([
    [
      'listVersionsToRotate',
      new Error('connection reset'),
      (error) => repository.listVersionsToRotate.mockReset().mockRejectedValue(error),
    ],
    [
      'reencryptVersion',
      new DatabaseOperationError('Re-encrypting secret "a"', '57P01', 'terminating connection'),
      (error) => repository.reencryptVersion.mockRejectedValue(error),
    ],
    [
      'sealing the audit trail',
      new Error('seal failed'),
      (error) => repository.lockAuditTrail.mockRejectedValue(error),
    ],
  ])('lets an error of %s through unchanged', async (_, failure, arrange) => {
    listInBatches(plainVersions('a'));
    arrange(failure);

    await expect(store.rotateEncryptionKeys()).rejects.toBe(failure);
  });

  it.each<[string, () => Error, string]>([
    [
      'locked past the statement timeout',
      () =>
        new StatementTimeoutError('Re-encrypting secret "b"', '57014', 'canceling statement due to statement timeout'),
      'STATEMENT_TIMEOUT',
    ],
    [
      'deadlocked',
      () => new TransactionConflictError('Re-encrypting secret "b"', '40P01', 'deadlock detected'),
      'TRANSACTION_CONFLICT',
    ],
  ])('counts a version %s as failed and rotates the rest', async (_, failure, code) => {
    listInBatches(plainVersions('a', 'b', 'c'));
    repository.reencryptVersion.mockImplementation(async (from) => {
      if (from.key === 'b') throw failure();
      return true;
    });

    await expect(store.rotateEncryptionKeys()).resolves.toEqual({
      ...NOTHING_DONE,
      scanned: 3,
      reEncrypted: 2,
      failed: [{ key: 'b', version: 1, code }],
    });
    expect(reencrypted()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('lets a statement timeout through inside a transaction, where the transaction is lost with it', async () => {
    listInBatches(plainVersions('a', 'b'));
    const failure = new StatementTimeoutError('Re-encrypting secret "a"', '57014', 'canceling statement');
    repository.reencryptVersion.mockRejectedValueOnce(failure);

    await expect(store.transaction((transaction) => transaction.rotateEncryptionKeys())).rejects.toBe(failure);
    expect(reencrypted()).toEqual([['a', 1]]);
  });

  it('lets an error that is not a SecretStoreError, met while reading a version, through rather than count it', async () => {
    const bug = new TypeError('not a row');
    const record = Object.defineProperty(plainVersions('a')[0], 'valueJson', {
      get(): string {
        throw bug;
      },
    });
    listInBatches([record]);

    await expect(store.rotateEncryptionKeys()).rejects.toBe(bug);
    expect(repository.reencryptVersion).not.toHaveBeenCalled();
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

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['a number', 7],
    ['a string of 257 characters', 'x'.repeat(257)],
  ])('refuses an actor that is %s with InvalidArgumentError before reading', async (_, actor) => {
    const error = await expectRejection(
      store.rotateEncryptionKeys({ actor: actor as string }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );

    expect(error).toMatchObject({ argument: 'actor' });
    expect(calledMethods(repository)).toEqual([]);
  });

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
