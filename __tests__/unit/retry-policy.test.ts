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
  type AuditEntry,
  type AuditRecord,
  type EncryptionOptions,
  type SecretMetadataRecord,
  type SecretStoreRepository,
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

/** The audit entry the `call`-th writeSecret carried: the write's identity. */
function auditOfWrite(call = 0): AuditEntry {
  return repository.writeSecret.mock.calls[call][2].audit;
}

/** The record the database keeps of `entry` once its write committed. */
function recorded(entry: AuditEntry, versions: number[], keys: string[] = []): AuditRecord {
  return { ...entry, seq: 1, versions, keys, recordedAt: new Date(), sealedBy: null };
}

/** An audit entry of some write: the fields the store fills in. */
function auditEntryLike(): AuditEntry {
  return { id: 'x', operation: 'set', key: 'k', writeId: 'w', actor: null, at: new Date(), macKeyId: null, mac: '' };
}

/** A secret's metadata at `version`. */
function metadataAt(key: string, version: number): SecretMetadataRecord {
  const at = new Date('2024-01-02T03:04:05Z');
  return {
    key,
    version,
    encoding: 'plain',
    keyId: null,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
    description: null,
    tags: {},
    expiresAt: null,
    rotateAfter: null,
    maxVersions: null,
  };
}

/** The records of the ids asked for, as the audit table would hold them after these writes committed. */
function committed(records: AuditRecord[]) {
  return async (ids: readonly string[]) => records.filter(({ id }) => ids.includes(id));
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
    repository.writeSecret.mockRejectedValueOnce(notSent()).mockResolvedValueOnce({ version: 4 });

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 4 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(2);
    expect(repository.findAuditRecords).not.toHaveBeenCalled();
  });

  it('is not sent again when its audit record is there: a write commits with its record', async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValueOnce(lostAfterSending());
    repository.findAuditRecords.mockImplementation(async (ids) => committed([recorded(auditOfWrite(), [7])])(ids));

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 7 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
    expect(repository.findAuditRecords).toHaveBeenCalledWith([auditOfWrite().id]);
  });

  it('is sent again, as the same write, when its record is not there', async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce({ version: 3 });
    // Another write of the same key and value: its record is not this write's.
    const other = recorded({ ...auditEntryLike(), id: 'another-write' }, [2]);
    repository.findAuditRecords.mockImplementation(committed([other]));

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 3 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(2);
    expect(repository.writeSecret.mock.calls[1][1]).toEqual(repository.writeSecret.mock.calls[0][1]);
    expect(auditOfWrite(1)).toEqual(auditOfWrite(0));
  });

  it('fails with WRITE_OUTCOME_UNKNOWN when every attempt was lost after sending', async () => {
    const store = storeOf(testKeyring(), 2);
    repository.writeSecret.mockRejectedValue(lostAfterSending());

    const error = await expectRejection(
      store.setSecret('k', { n: 1 }),
      SecretWriteOutcomeUnknownError,
      'WRITE_OUTCOME_UNKNOWN',
    );

    expect(error.key).toBe('k');
    expect(error.message).toMatch(/^Writing secret "k" failed: the connection was lost after the write/);
    expect(repository.writeSecret).toHaveBeenCalledTimes(2);
  });

  it('fails with WRITE_OUTCOME_UNKNOWN, not DATABASE_UNAVAILABLE, when a later attempt could not even connect', async () => {
    const store = storeOf(testKeyring(), 2);
    // Sent and lost, its record unreadable; then no server answers (a failover in progress).
    repository.writeSecret.mockRejectedValueOnce(lostAfterSending()).mockRejectedValueOnce(notSent());
    repository.findAuditRecords.mockRejectedValue(notSent());

    await expectRejection(store.setSecret('k', { n: 1 }), SecretWriteOutcomeUnknownError, 'WRITE_OUTCOME_UNKNOWN');
    expect(repository.writeSecret).toHaveBeenCalledTimes(2);
  });

  it('in plaintext too, recognises its own write by its record', async () => {
    const store = storeOf('none');
    repository.writeSecret.mockRejectedValueOnce(lostAfterSending());
    repository.findAuditRecords.mockImplementation(async (ids) => committed([recorded(auditOfWrite(), [2])])(ids));

    await expect(store.setSecret('k', { n: 1 })).resolves.toEqual({ version: 2 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
  });
});

describe('setSecret with ifVersion (compare-and-set)', () => {
  it('is sent again when the first attempt never reached the server', async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValueOnce(notSent()).mockResolvedValueOnce({ version: 6 });

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 5 })).resolves.toEqual({ version: 6 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(2);
  });

  it("succeeds without resending when the lost write's record is found", async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValueOnce(lostAfterSending());
    repository.findAuditRecords.mockImplementation(async (ids) => committed([recorded(auditOfWrite(), [6])])(ids));

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 5 })).resolves.toEqual({ version: 6 });
    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
  });

  it('is never resent after a lost acknowledgement without its record: WRITE_OUTCOME_UNKNOWN, and the caller reads', async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValue(lostAfterSending());

    await expectRejection(
      store.setSecret('k', { n: 1 }, { ifVersion: 5 }),
      SecretWriteOutcomeUnknownError,
      'WRITE_OUTCOME_UNKNOWN',
    );
    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
  });

  it('reports WRITE_OUTCOME_UNKNOWN when the audit trail cannot be read either', async () => {
    const store = storeOf();
    repository.writeSecret.mockRejectedValue(lostAfterSending());
    repository.findAuditRecords.mockRejectedValue(lostAfterSending());

    await expect(store.setSecret('k', { n: 1 }, { ifVersion: 2 })).rejects.toBeInstanceOf(
      SecretWriteOutcomeUnknownError,
    );
    expect(repository.writeSecret).toHaveBeenCalledTimes(1);
  });

  it('still reports a real conflict as SECRET_VERSION_CONFLICT, reading the current version again if it must', async () => {
    const store = storeOf();
    repository.writeSecret.mockResolvedValue(undefined);
    repository.getSecretMetadata.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce(metadataAt('k', 9));

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

  it('returns the versions without resending when every record is there', async () => {
    const store = storeOf();
    repository.upsertSecrets.mockRejectedValueOnce(lostAfterSending());
    repository.findAuditRecords.mockImplementation(async (ids) =>
      committed(repository.upsertSecrets.mock.calls[0][0].map(({ audit }, index) => recorded(audit, [10 + index])))(
        ids,
      ),
    );

    await expect(store.setSecrets(entries)).resolves.toEqual([
      { key: 'a', version: 10 },
      { key: 'b', version: 11 },
    ]);
    expect(repository.upsertSecrets).toHaveBeenCalledTimes(1);
  });

  it('is sent again when the records are not there', async () => {
    const store = storeOf();
    repository.upsertSecrets.mockRejectedValueOnce(lostAfterSending()).mockResolvedValueOnce([
      { key: 'a', version: 1 },
      { key: 'b', version: 1 },
    ]);

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

  it('resolves true without resending when its record shows it deleted', async () => {
    const store = storeOf();
    repository.deleteSecret.mockRejectedValueOnce(lostAfterSending());
    repository.findAuditRecords.mockImplementation(async (ids) =>
      committed([recorded(repository.deleteSecret.mock.calls[0][1], [3])])(ids),
    );

    await expect(store.deleteSecret('k')).resolves.toBe(true);
    expect(repository.deleteSecret).toHaveBeenCalledTimes(1);
  });

  it('is never resent after a lost acknowledgement without its record: a second delete could not say whether the first deleted', async () => {
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
