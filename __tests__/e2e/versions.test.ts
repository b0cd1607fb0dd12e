import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import {
  anyJson,
  InvalidArgumentError,
  PostgresSecretStoreRepository,
  SecretStore,
  SecretVersionConflictError,
  type AuditEntry,
  type Queryable,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { codeOf, expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring();
const Counter = z.object({ n: z.number().int() });
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
});

beforeEach(async () => {
  await testDatabase().reset();
});

/** An audit entry as a rotation makes one; this test never verifies the trail, so it is signed with nothing. */
function rotationAudit(key: string, writeId: string | null): AuditEntry {
  return { id: randomUUID(), operation: 'rotate', key, writeId, actor: null, at: new Date(), macKeyId: null, mac: '' };
}

/** Everything a write leaves behind: the secrets, their kept versions, and the audit trail. */
async function table(): Promise<unknown[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT 'secret' AS kind, key, value::text AS value, version FROM secret_store
     UNION ALL SELECT 'version', key, value::text, version FROM secret_versions
     UNION ALL SELECT 'audit ' || operation, key, NULL, array_length(versions, 1) FROM secret_audit_log
     ORDER BY 1, 2, 4`,
    [],
  );
  return rows;
}

describe('versions and compare-and-set', () => {
  it('resolves the version each write made', async () => {
    expect(await store.setSecret('v.a', { n: 1 })).toEqual({ version: 1 });
    expect(await store.setSecret('v.a', { n: 2 })).toEqual({ version: 2 });
  });

  it('creates only if absent with ifVersion 0', async () => {
    expect(await store.setSecret('v.a', { n: 1 }, { ifVersion: 0 })).toEqual({ version: 1 });
    const error = await expectRejection(
      store.setSecret('v.a', { n: 2 }, { ifVersion: 0 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    expect(error).toMatchObject({ key: 'v.a', expectedVersion: 0, currentVersion: 1 });
    expect(await store.getSecret(Counter, 'v.a')).toEqual({ n: 1 });
  });

  it('writes only over the expected version, and refuses a stale one writing nothing', async () => {
    await store.setSecret('v.a', { n: 1 });
    await store.setSecret('v.a', { n: 2 });
    expect(await store.setSecret('v.a', { n: 3 }, { ifVersion: 2 })).toEqual({ version: 3 });

    const before = await table();
    await expect(store.setSecret('v.a', { n: 4 }, { ifVersion: 2 })).rejects.toMatchObject({
      code: 'SECRET_VERSION_CONFLICT',
      currentVersion: 3,
    });
    await expect(store.setSecret('v.missing', { n: 1 }, { ifVersion: 5 })).rejects.toMatchObject({
      currentVersion: 0,
    });
    expect(await table()).toEqual(before);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 31, Number.MAX_SAFE_INTEGER, '1', null])(
    'refuses ifVersion %p with INVALID_ARGUMENT before writing',
    async (ifVersion) => {
      const error = await expectRejection(
        store.setSecret('v.a', { n: 1 }, { ifVersion: ifVersion as number }),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );
      expect(error).toMatchObject({ argument: 'ifVersion' });
      expect(await table()).toEqual([]);
    },
  );

  it('takes the largest version a secret can have', async () => {
    await expect(store.setSecret('v.a', { n: 1 }, { ifVersion: 2 ** 31 - 1 })).rejects.toMatchObject({
      code: 'SECRET_VERSION_CONFLICT',
      expectedVersion: 2 ** 31 - 1,
      currentVersion: 0,
    });
  });

  it('counts exactly under concurrent compare-and-set increments with retries', async () => {
    const workers = 8;
    const increments = 25;
    await store.setSecret('v.counter', { n: 0 });
    const increment = async () => {
      // Each lost race means another worker's increment landed: no increment can lose more than all of them.
      for (let attempt = 0; attempt <= workers * increments; attempt++) {
        const current = await store.getSecretWithMetadata(Counter, 'v.counter');
        try {
          await store.setSecret('v.counter', { n: current!.value.n + 1 }, { ifVersion: current!.version });
          return;
        } catch (error) {
          if (!(error instanceof SecretVersionConflictError)) throw error;
        }
      }
      throw new Error('an increment lost more races than there are increments');
    };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < increments; i++) await increment();
      }),
    );
    const final = await store.getSecretWithMetadata(Counter, 'v.counter');
    expect(final).toMatchObject({ value: { n: workers * increments }, version: workers * increments + 1 });
  }, 60_000);

  it('reads a value with its version and timestamps', async () => {
    await store.setSecret('v.a', { n: 1 });
    await store.setSecret('v.a', { n: 2 });
    const read = await store.getSecretWithMetadata(Counter, 'v.a');
    expect(read).toMatchObject({ value: { n: 2 }, version: 2 });
    expect(read!.createdAt).toBeInstanceOf(Date);
    expect(read!.updatedAt.getTime()).toBeGreaterThanOrEqual(read!.createdAt.getTime());
    expect(await store.getSecretWithMetadata(Counter, 'v.none')).toBeUndefined();
  });
});

describe('setSecrets', () => {
  it('writes many secrets in one statement, creating and replacing, and resolves their versions', async () => {
    const sent: string[] = [];
    const recording: Queryable = {
      query: (text, values) => {
        sent.push(text);
        return testDatabase().database.query(text, values);
      },
    };
    const bulkStore = new SecretStore(new PostgresSecretStoreRepository(recording), { encryption });
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      key: `bulk.${String(i).padStart(4, '0')}`,
      value: { n: i },
    }));

    // The store's first write also checks and records its key's fingerprint, once: leave it out of the count.
    await bulkStore.setSecret('bulk.0000', { n: -1 });
    sent.length = 0;
    const written = await bulkStore.setSecrets(entries);

    expect(sent).toHaveLength(1);
    expect(written).toHaveLength(1000);
    expect(written.find((entry) => entry.key === 'bulk.0000')).toEqual({ key: 'bulk.0000', version: 2 });
    expect(written.filter((entry) => entry.version === 1)).toHaveLength(999);
    const read = await store.getSecrets(Counter, 'bulk.');
    expect(read.map((entry) => entry.value.n)).toEqual(entries.map((entry) => entry.value.n));
    const { rows } = await testDatabase().database.query(
      "SELECT count(*)::int AS n FROM secret_store WHERE encoding = 'aes-256-gcm' AND key_id = $1",
      [encryption.activeKeyId],
    );
    expect(rows).toEqual([{ n: 1000 }]);
  });

  it.each([
    [
      'a key given twice',
      [
        { key: 'b.1', value: { n: 1 } },
        { key: 'b.1', value: { n: 2 } },
      ],
      'INVALID_SECRET_KEY',
    ],
    [
      'an invalid key',
      [
        { key: 'b.1', value: { n: 1 } },
        { key: ' b.2', value: { n: 2 } },
      ],
      'INVALID_SECRET_KEY',
    ],
    [
      'an invalid value',
      [
        { key: 'b.1', value: { n: 1 } },
        { key: 'b.2', value: { n: Number.NaN } },
      ],
      'INVALID_SECRET_VALUE',
    ],
  ])('writes nothing when one entry is bad: %s', async (_name, entries, code) => {
    await store.setSecret('b.0', { n: 0 });
    const before = await table();
    await expect(store.setSecrets(entries)).rejects.toMatchObject({ code });
    expect(await table()).toEqual(before);
  });

  it('refuses entries that are not an array with INVALID_ARGUMENT, writing nothing', async () => {
    for (const entries of [null, { key: 'b.1', value: {} }, 'b.1']) {
      const error = await expectRejection(
        store.setSecrets(entries as unknown as []),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );
      expect(error).toMatchObject({ argument: 'entries' });
    }
    expect(await table()).toEqual([]);
  });

  it('never deadlocks when two calls write the same keys in opposite orders', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `dl.${String(i).padStart(3, '0')}`);
    const forward = keys.map((key) => ({ key, value: { n: 1 } }));
    const backward = [...forward].reverse().map(({ key }) => ({ key, value: { n: 2 } }));
    // Unordered, about one round in three deadlocked (40P01); ordered, none may.
    for (let round = 0; round < 15; round++) {
      const outcomes = await Promise.allSettled([store.setSecrets(forward), store.setSecrets(backward)]);
      expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? codeOf(outcome.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
      ]);
    }
    const { rows } = await testDatabase().database.query(
      "SELECT min(version) AS low, max(version) AS high FROM secret_store WHERE key LIKE 'dl.%'",
      [],
    );
    expect(rows).toEqual([{ low: 30, high: 30 }]);
  });

  it('resolves [] for no entries', async () => {
    expect(await store.setSecrets([])).toEqual([]);
    expect(await store.getSecrets(anyJson, '')).toEqual([]);
  });
});

describe('versions never repeat, across deletes', () => {
  it('continues from the version a deleted secret had when its key is written again', async () => {
    await store.setSecret('v.a', { n: 1 });
    await store.setSecret('v.a', { n: 2 });
    expect(await store.deleteSecret('v.a')).toBe(true);

    expect(await store.setSecret('v.a', { n: 3 })).toEqual({ version: 3 });
    expect(await store.getSecretWithMetadata(Counter, 'v.a')).toMatchObject({ value: { n: 3 }, version: 3 });
  });

  it('refuses a compare-and-set made against the deleted secret', async () => {
    await store.setSecret('v.a', { n: 1 });
    const read = await store.getSecretWithMetadata(Counter, 'v.a');
    await store.deleteSecret('v.a');
    await store.setSecret('v.a', { n: 100 });

    // The stale read saw version 1 of the old secret; the new secret must not take it for its own.
    await expect(store.setSecret('v.a', { n: read!.value.n + 1 }, { ifVersion: read!.version })).rejects.toMatchObject({
      code: 'SECRET_VERSION_CONFLICT',
      expectedVersion: 1,
      currentVersion: 2,
    });
    expect(await store.getSecret(Counter, 'v.a')).toEqual({ n: 100 });
  });

  it('creates with ifVersion 0 after a delete, at the next version', async () => {
    await store.setSecret('v.a', { n: 1 });
    await store.deleteSecret('v.a');
    expect(await store.setSecret('v.a', { n: 2 }, { ifVersion: 0 })).toEqual({ version: 2 });
  });

  it('continues after a delete in setSecrets too, and after a delete made with plain SQL', async () => {
    await store.setSecrets([
      { key: 'v.a', value: { n: 1 } },
      { key: 'v.b', value: { n: 1 } },
    ]);
    await store.setSecret('v.b', { n: 2 });
    await store.deleteSecret('v.a');
    await testDatabase().database.query("DELETE FROM secret_store WHERE key = 'v.b'", []);

    expect(
      await store.setSecrets([
        { key: 'v.b', value: { n: 3 } },
        { key: 'v.a', value: { n: 3 } },
        { key: 'v.c', value: { n: 3 } },
      ]),
    ).toEqual(
      expect.arrayContaining([
        { key: 'v.a', version: 2 },
        { key: 'v.b', version: 3 },
        { key: 'v.c', version: 1 },
      ]),
    );
  });

  it('keeps a rotation that read a destroyed version from writing it over the secret made again', async () => {
    const repository = new PostgresSecretStoreRepository(testDatabase().handle);
    await new SecretStore(repository, { encryption: 'none' }).setSecret('v.a', { n: 1 });
    // What a rotation batch read before the destroy: version 1 of the old secret.
    const [stale] = await repository.listVersionsToRotate(encryption.activeKeyId, { key: '', version: 0 }, 10);
    expect(stale).toMatchObject({ key: 'v.a', version: 1 });
    expect(await store.destroySecret('v.a')).toEqual({ destroyed: [1] });
    await store.setSecret('v.a', { n: 2 });

    const staleRewrite = { valueJson: stale.valueJson, encoding: stale.encoding, keyId: stale.keyId };
    expect(await repository.reencryptVersion(stale, staleRewrite, rotationAudit('v.a', stale.writeId))).toBe(false);
    expect(await store.getSecretWithMetadata(Counter, 'v.a')).toMatchObject({ value: { n: 2 }, version: 2 });
    expect(await store.getSecretVersion(Counter, 'v.a', 1)).toBeUndefined();
  });

  it('lets a rotation that read a version before a soft delete rewrite only that kept version', async () => {
    const repository = new PostgresSecretStoreRepository(testDatabase().handle);
    await new SecretStore(repository, { encryption: 'none' }).setSecret('v.a', { n: 1 });
    const [stale] = await repository.listVersionsToRotate(encryption.activeKeyId, { key: '', version: 0 }, 10);
    await store.deleteSecret('v.a');
    await store.setSecret('v.a', { n: 2 });

    // Version 1 is still kept, the same write: rewriting it leaves the current version alone.
    const staleRewrite = { valueJson: stale.valueJson, encoding: stale.encoding, keyId: stale.keyId };
    expect(await repository.reencryptVersion(stale, staleRewrite, rotationAudit('v.a', stale.writeId))).toBe(true);
    expect(await store.getSecretWithMetadata(Counter, 'v.a')).toMatchObject({ value: { n: 2 }, version: 2 });
  });
});
