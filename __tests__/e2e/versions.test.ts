import { z } from 'zod';

import {
  anyJson,
  PostgresSecretStoreRepository,
  SecretStore,
  SecretVersionConflictError,
  type Queryable,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { testKeyring } from '../harness/keys';

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

async function table(): Promise<unknown[]> {
  const { rows } = await testDatabase().database.query(
    'SELECT key, value::text AS value, version FROM secret_store ORDER BY key',
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
    const error = await store.setSecret('v.a', { n: 2 }, { ifVersion: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretVersionConflictError);
    expect(error).toMatchObject({ code: 'SECRET_VERSION_CONFLICT', key: 'v.a', expectedVersion: 0, currentVersion: 1 });
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

  it.each([-1, 1.5, Number.NaN])('refuses ifVersion %p before writing', async (ifVersion) => {
    await expect(store.setSecret('v.a', { n: 1 }, { ifVersion })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      setting: 'ifVersion',
    });
    expect(await table()).toEqual([]);
  });

  it('counts exactly under concurrent compare-and-set increments with retries', async () => {
    const workers = 8;
    const increments = 25;
    await store.setSecret('v.counter', { n: 0 });
    const increment = async () => {
      for (;;) {
        const current = await store.getSecretWithMetadata(Counter, 'v.counter');
        try {
          await store.setSecret('v.counter', { n: current!.value.n + 1 }, { ifVersion: current!.version });
          return;
        } catch (error) {
          if (!(error instanceof SecretVersionConflictError)) throw error;
        }
      }
    };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < increments; i++) await increment();
      }),
    );
    const final = await store.getSecretWithMetadata(Counter, 'v.counter');
    expect(final).toMatchObject({ value: { n: workers * increments }, version: workers * increments + 1 });
  });

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
    await store.setSecret('bulk.0000', { n: -1 });
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

  it('resolves [] for no entries', async () => {
    expect(await store.setSecrets([])).toEqual([]);
    expect(await store.getSecrets(anyJson, '')).toEqual([]);
  });
});
