import { z } from 'zod';

import {
  ConnectionAcquireTimeoutError,
  DatabaseOperationError,
  DatabaseUnavailableError,
  SecretStore,
  SecretStoreConfigError,
  SecretVersionConflictError,
  SecretWriteOutcomeUnknownError,
  StatementTimeoutError,
  type EncryptionOptions,
  type SecretStoreRepository,
  type StoredValue,
} from '../../src';
import { expectRejection, expectThrow } from '../support/errors';
import { mockSecretStoreRepository, storedRecord } from '../support/mock-secret-store-repository';
import { testKeyring } from '../support/test-keyring';

const schema = z.object({ n: z.number() });

/** The connection was lost after the statement went out: the server may have run it. */
const lostAfterSending = () =>
  new DatabaseUnavailableError('Writing secret "k"', '57P01', 'terminating connection (SQLSTATE 57P01)');
/** The connection could not be opened: nothing reached the server. */
const notSent = () => new DatabaseUnavailableError('Writing secret "k"', undefined, 'connect ECONNREFUSED', false);

let repository: jest.Mocked<SecretStoreRepository>;

function storeOf(encryption: EncryptionOptions = testKeyring(), attempts = 3): SecretStore {
  return new SecretStore(repository, { encryption, retry: { attempts, delayMillis: 0 } });
}

/** What the `call`-th write of `method` was given to store. */
function written(method: 'upsertSecret' | 'writeSecretIfVersion', call = 0): StoredValue {
  return repository[method].mock.calls[call][1];
}

/** The row as the database would hand it back after `stored` landed: same envelope, JSONB's spacing. */
function landed(key: string, stored: StoredValue, version: number) {
  const respaced = JSON.stringify(JSON.parse(stored.valueJson), null, 1);
  return storedRecord(key, { ...stored, valueJson: respaced }, version);
}

beforeEach(() => {
  repository = mockSecretStoreRepository();
});

describe('reads', () => {
  it('are attempted again after a lost connection, up to the configured attempts', async () => {
    const store = storeOf('none');
    repository.getSecret
      .mockRejectedValueOnce(lostAfterSending())
      .mockRejectedValueOnce(notSent())
      .mockResolvedValueOnce(storedRecord('k', { valueJson: '{"n":1}', encoding: 'plain', keyId: null }));

    await expect(store.getSecret(schema, 'k')).resolves.toEqual({ n: 1 });
    expect(repository.getSecret).toHaveBeenCalledTimes(3);
  });

  it('give up with the last DATABASE_UNAVAILABLE once the attempts are spent', async () => {
    const store = storeOf('none', 2);
    repository.listSecretsByPrefix.mockRejectedValue(lostAfterSending());

    await expectRejection(store.getSecrets(schema, 'k'), DatabaseUnavailableError, 'DATABASE_UNAVAILABLE');
    expect(repository.listSecretsByPrefix).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['a statement timeout', new StatementTimeoutError('Reading', '57014', 'canceling statement (SQLSTATE 57014)')],
    ['an exhausted pool', new ConnectionAcquireTimeoutError('Reading', undefined, 'no pooled connection')],
    ['any other database error', new DatabaseOperationError('Reading', '42501', 'permission denied (SQLSTATE 42501)')],
  ])('are not attempted again after %s: that would only add load', async (_, failure) => {
    const store = storeOf('none');
    repository.getSecretsByKeys.mockRejectedValue(failure);

    await expect(store.getSecretsByKeys(schema, ['a', 'b'])).rejects.toBe(failure);
    expect(repository.getSecretsByKeys).toHaveBeenCalledTimes(1);
  });

  it('are attempted once when retry.attempts is 1', async () => {
    const store = storeOf('none', 1);
    repository.countSecretsByEncryption.mockRejectedValue(lostAfterSending());

    await expect(store.encryptionUsage()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(repository.countSecretsByEncryption).toHaveBeenCalledTimes(1);
  });

  it('are never attempted again inside a transaction, whose connection is gone', async () => {
    const store = storeOf('none');
    repository.getSecret.mockRejectedValue(lostAfterSending());

    await expect(store.transaction((tx) => tx.getSecret(schema, 'k'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(repository.getSecret).toHaveBeenCalledTimes(1);
  });
});

describe('setSecret without ifVersion (an upsert: sending it twice leaves the same value)', () => {
  it('is sent again when the first attempt never reached the server', async () => {
    const store = storeOf();
    repository.upsertSecret.mockRejectedValueOnce(notSent()).mockResolvedValueOnce({ version: 4 });

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 4 });
    expect(repository.upsertSecret).toHaveBeenCalledTimes(2);
    expect(repository.getSecret).not.toHaveBeenCalled();
  });

  it('is not sent again when the row already holds this very write: its ciphertext is unique to it', async () => {
    const store = storeOf();
    repository.upsertSecret.mockRejectedValueOnce(lostAfterSending());
    repository.getSecret.mockImplementation(async (key) => landed(key, written('upsertSecret'), 7));

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 7 });
    expect(repository.upsertSecret).toHaveBeenCalledTimes(1);
  });

  it('is sent again when the row does not hold it', async () => {
    const store = storeOf();
    repository.upsertSecret.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce({ version: 3 });
    // The same plaintext written by another call: a different nonce, so not this write.
    const otherWrite = mockSecretStoreRepository();
    await new SecretStore(otherWrite, { encryption: testKeyring() }).setSecret('k', { n: 1 });
    repository.getSecret.mockResolvedValue(landed('k', otherWrite.upsertSecret.mock.calls[0][1], 2));

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 3 });
    expect(repository.upsertSecret).toHaveBeenCalledTimes(2);
    expect(written('upsertSecret', 1)).toEqual(written('upsertSecret', 0));
  });

  it('fails with WRITE_OUTCOME_UNKNOWN when every attempt was lost after sending', async () => {
    const store = storeOf(testKeyring(), 2);
    repository.upsertSecret.mockRejectedValue(lostAfterSending());
    repository.getSecret.mockResolvedValue(undefined);

    const error = await expectRejection(
      store.setSecret('k', { n: 1 }),
      SecretWriteOutcomeUnknownError,
      'WRITE_OUTCOME_UNKNOWN',
    );

    expect(error.key).toBe('k');
    expect(error.message).toMatch(/^Writing secret "k" failed: the connection was lost after the write/);
    expect(repository.upsertSecret).toHaveBeenCalledTimes(2);
  });

  it('in plaintext, cannot recognise its own write and simply sends it again', async () => {
    const store = storeOf('none');
    repository.upsertSecret.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce({ version: 2 });

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 2 });
    expect(repository.getSecret).not.toHaveBeenCalled();
    expect(repository.upsertSecret).toHaveBeenCalledTimes(2);
  });
});

describe('setSecret with ifVersion (compare-and-set)', () => {
  it('is sent again when the first attempt never reached the server', async () => {
    const store = storeOf();
    repository.writeSecretIfVersion.mockRejectedValueOnce(notSent()).mockResolvedValueOnce({ version: 6 });

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 5 })).resolves.toEqual({ version: 6 });
    expect(repository.writeSecretIfVersion).toHaveBeenCalledTimes(2);
  });

  it('succeeds without resending when the lost write is found in the row', async () => {
    const store = storeOf();
    repository.writeSecretIfVersion.mockRejectedValueOnce(lostAfterSending());
    repository.getSecret.mockImplementation(async (key) => landed(key, written('writeSecretIfVersion'), 6));

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 5 })).resolves.toEqual({ version: 6 });
    expect(repository.writeSecretIfVersion).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['the row is still at the expected version', 5],
    ['another writer moved the row on', 7],
  ])(
    'is never resent after a lost acknowledgement (%s): WRITE_OUTCOME_UNKNOWN, and the caller reads',
    async (_, version) => {
      const store = storeOf();
      repository.writeSecretIfVersion.mockRejectedValue(lostAfterSending());
      repository.getSecret.mockResolvedValue(
        storedRecord('k', { valueJson: '{"v":1}', encoding: 'aes-256-gcm', keyId: 'test-k1' }, version),
      );

      await expectRejection(
        store.setSecret('k', { n: 1 }, { ifVersion: 5 }),
        SecretWriteOutcomeUnknownError,
        'WRITE_OUTCOME_UNKNOWN',
      );
      expect(repository.writeSecretIfVersion).toHaveBeenCalledTimes(1);
    },
  );

  it('in plaintext, fails with WRITE_OUTCOME_UNKNOWN without reading: the row cannot say whose write it holds', async () => {
    const store = storeOf('none');
    repository.writeSecretIfVersion.mockRejectedValue(lostAfterSending());

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 0 })).rejects.toBeInstanceOf(
      SecretWriteOutcomeUnknownError,
    );
    expect(repository.writeSecretIfVersion).toHaveBeenCalledTimes(1);
    expect(repository.getSecret).not.toHaveBeenCalled();
  });

  it('reports WRITE_OUTCOME_UNKNOWN when the row cannot be read back either', async () => {
    const store = storeOf();
    repository.writeSecretIfVersion.mockRejectedValue(lostAfterSending());
    repository.getSecret.mockRejectedValue(lostAfterSending());

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 2 })).rejects.toBeInstanceOf(
      SecretWriteOutcomeUnknownError,
    );
    expect(repository.writeSecretIfVersion).toHaveBeenCalledTimes(1);
  });

  it('still reports a real conflict as SECRET_VERSION_CONFLICT, reading the current version again if it must', async () => {
    const store = storeOf();
    repository.writeSecretIfVersion.mockResolvedValue(undefined);
    repository.getSecret
      .mockRejectedValueOnce(lostAfterSending())
      .mockResolvedValueOnce(storedRecord('k', { valueJson: '{}', encoding: 'plain', keyId: null }, 9));

    const error = await expectRejection(
      store.setSecret('k', { n: 1 }, { ifVersion: 5 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );

    expect(error).toMatchObject({ expectedVersion: 5, currentVersion: 9 });
  });
});

describe('setSecrets (one statement: all or none landed)', () => {
  const entries = [
    { key: 'a', value: { n: 1 } },
    { key: 'b', value: { n: 2 } },
  ];

  it('returns the versions without resending when every row holds its own new ciphertext', async () => {
    const store = storeOf();
    repository.upsertSecrets.mockRejectedValueOnce(lostAfterSending());
    repository.getSecretsByKeys.mockImplementation(async () =>
      repository.upsertSecrets.mock.calls[0][0].map(({ key, value }, index) => landed(key, value, 10 + index)),
    );

    await expect(store.setSecrets(entries)).resolves.toEqual([
      { key: 'a', version: 10 },
      { key: 'b', version: 11 },
    ]);
    expect(repository.upsertSecrets).toHaveBeenCalledTimes(1);
  });

  it('is sent again when the rows do not hold it', async () => {
    const store = storeOf();
    repository.upsertSecrets.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce([
      { key: 'a', version: 1 },
      { key: 'b', version: 1 },
    ]);
    repository.getSecretsByKeys.mockResolvedValue([]);

    await expect(store.setSecrets(entries)).resolves.toHaveLength(2);
    expect(repository.upsertSecrets).toHaveBeenCalledTimes(2);
  });
});

describe('deleteSecret', () => {
  it('is sent again when the first attempt never reached the server', async () => {
    const store = storeOf();
    repository.deleteSecret.mockRejectedValueOnce(notSent()).mockResolvedValueOnce(true);

    await expect(store.deleteSecret('k')).resolves.toBe(true);
    expect(repository.deleteSecret).toHaveBeenCalledTimes(2);
  });

  it('is never resent after a lost acknowledgement: a second delete could not say whether the first deleted', async () => {
    const store = storeOf();
    repository.deleteSecret.mockRejectedValue(lostAfterSending());

    const error = await expectRejection(
      store.deleteSecret('k'),
      SecretWriteOutcomeUnknownError,
      'WRITE_OUTCOME_UNKNOWN',
    );

    expect(error.message).toMatch(/^Deleting secret "k" failed/);
    expect(repository.deleteSecret).toHaveBeenCalledTimes(1);
  });

  it('gives up with DATABASE_UNAVAILABLE when the server cannot be reached at all', async () => {
    const store = storeOf(testKeyring(), 2);
    repository.deleteSecret.mockRejectedValue(notSent());

    const error = await expectRejection(store.deleteSecret('k'), DatabaseUnavailableError, 'DATABASE_UNAVAILABLE');

    expect(error).not.toBeInstanceOf(SecretWriteOutcomeUnknownError);
    expect(repository.deleteSecret).toHaveBeenCalledTimes(2);
  });
});

describe('retry options', () => {
  it.each([
    [{ attempts: 0 }, 'retry.attempts'],
    [{ attempts: 1.5 }, 'retry.attempts'],
    [{ delayMillis: -1 }, 'retry.delayMillis'],
    [{ delayMillis: Number.NaN }, 'retry.delayMillis'],
    ['3', 'retry'],
  ])('refuses %p, naming %s', (retry, setting) => {
    const error = expectThrow(
      () => new SecretStore(repository, { encryption: 'none', retry: retry as never }),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );

    expect(error.setting).toBe(setting);
  });
});
