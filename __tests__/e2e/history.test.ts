/**
 * A secret's history on the real stack: every write keeps the value it replaces, versions never repeat or go
 * backwards, retention prunes the oldest, and any kept version reads back or is restored as a new one.
 */
import { z } from 'zod';

import {
  InvalidArgumentError,
  PostgresSecretStoreRepository,
  SecretStore,
  SecretVersionConflictError,
  SecretVersionNotFoundError,
  type SecretStoreOptions,
  type SecretVersionInfo,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring();
const Counter = z.object({ n: z.number() });

function storeWith(options: SecretStoreOptions = {}): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption, ...options });
}

let store: SecretStore;

beforeAll(() => {
  store = storeWith();
});

beforeEach(() => testDatabase().reset());

/** Writes `{ n }` for each n, in order, and resolves the versions written. */
async function writeAll(key: string, values: readonly number[], on: SecretStore = store): Promise<number[]> {
  const versions: number[] = [];
  for (const n of values) versions.push((await on.setSecret(key, { n })).version);
  return versions;
}

/** The versions listSecretVersions reports, newest first. */
async function keptVersions(key: string): Promise<number[]> {
  return (await store.listSecretVersions(key)).map(({ version }) => version);
}

/** Every kept version's value, by version, read one by one; undefined for those without one. */
async function valuesOf(key: string, versions: readonly number[]): Promise<(number | undefined)[]> {
  const values: (number | undefined)[] = [];
  for (const version of versions) values.push((await store.getSecretVersion(Counter, key, version))?.n);
  return values;
}

/** Everything a write leaves behind, as text: secrets, kept versions, audit records. */
async function storedState(): Promise<unknown[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT 'secret' AS kind, key, version, value::text AS value, deleted_at::text AS extra FROM secret_store
     UNION ALL SELECT 'version', key, version, value::text, destroyed_at::text FROM secret_versions
     UNION ALL SELECT 'audit', key, NULL, operation, array_to_string(versions, ',') FROM secret_audit_log
     ORDER BY 1, 2, 3, 4`,
    [],
  );
  return rows;
}

describe('every write keeps the value it replaces', () => {
  it('reads back every version written, the current one included', async () => {
    expect(await writeAll('h.a', [10, 20, 30])).toEqual([1, 2, 3]);
    expect(await valuesOf('h.a', [1, 2, 3])).toEqual([10, 20, 30]);
    expect(await store.getSecret(Counter, 'h.a')).toEqual({ n: 30 });
  });

  it('keeps the versions setSecrets writes, alongside those of setSecret', async () => {
    await store.setSecret('h.a', { n: 1 });
    expect(
      await store.setSecrets([
        { key: 'h.a', value: { n: 2 } },
        { key: 'h.b', value: { n: 3 } },
      ]),
    ).toEqual([
      { key: 'h.a', version: 2 },
      { key: 'h.b', version: 1 },
    ]);
    await store.setSecret('h.a', { n: 4 });
    expect(await valuesOf('h.a', [1, 2, 3])).toEqual([1, 2, 4]);
    expect(await valuesOf('h.b', [1])).toEqual([3]);
  });

  it('keeps each secret apart: a version of one key is never read under another', async () => {
    await writeAll('h.a', [1, 2]);
    await writeAll('h.b', [100]);
    expect(await valuesOf('h.b', [1, 2])).toEqual([100, undefined]);
    expect(await valuesOf('h.a', [1, 2])).toEqual([1, 2]);
  });
});

describe('versions never repeat or go backwards', () => {
  it('continues after a soft delete, a destroy of every version, and a purge', async () => {
    const seen: number[] = [];
    seen.push(...(await writeAll('h.a', [1, 2])));

    await store.deleteSecret('h.a');
    seen.push(...(await writeAll('h.a', [3])));

    expect((await store.destroySecret('h.a')).destroyed).toEqual([1, 2, 3]);
    seen.push(...(await writeAll('h.a', [4])));

    await store.deleteSecret('h.a');
    expect(await store.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: ['h.a'] });
    seen.push(...(await writeAll('h.a', [5, 6])));

    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await store.getSecretWithMetadata(Counter, 'h.a')).toMatchObject({ value: { n: 6 }, version: 6 });
    // The purge took every version before it; the destroy left records of the three it erased, until the purge.
    expect(await keptVersions('h.a')).toEqual([6, 5]);
  });

  it('continues through setSecrets after a destroy and a purge', async () => {
    await writeAll('h.a', [1, 2, 3]);
    await writeAll('h.b', [1]);
    await store.destroySecret('h.a');
    await store.deleteSecret('h.b');
    await store.purgeDeletedSecrets({ olderThan: 0 });
    expect(
      await store.setSecrets([
        { key: 'h.a', value: { n: 4 } },
        { key: 'h.b', value: { n: 2 } },
      ]),
    ).toEqual([
      { key: 'h.a', version: 4 },
      { key: 'h.b', version: 2 },
    ]);
  });

  it('continues after a restore, which writes the next version rather than reusing the old one', async () => {
    await writeAll('h.a', [1, 2, 3]);
    expect(await store.restoreSecretVersion('h.a', 1)).toEqual({ version: 4 });
    expect(await store.setSecret('h.a', { n: 5 })).toEqual({ version: 5 });
    expect(await keptVersions('h.a')).toEqual([5, 4, 3, 2, 1]);
  });
});

describe('retention', () => {
  it('keeps the store default of 10 versions, pruning the oldest with the write that exceeds it', async () => {
    await writeAll(
      'h.a',
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(await keptVersions('h.a')).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    await store.setSecret('h.a', { n: 11 });
    expect(await keptVersions('h.a')).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    expect(await store.getSecretVersion(Counter, 'h.a', 1)).toBeUndefined();
    expect(await store.getSecretVersion(Counter, 'h.a', 2)).toEqual({ n: 2 });
  });

  it("keeps the store's maxVersions", async () => {
    const keepingThree = storeWith({ maxVersions: 3 });
    await writeAll('h.a', [1, 2, 3, 4, 5], keepingThree);
    expect(await keptVersions('h.a')).toEqual([5, 4, 3]);
    expect(await valuesOf('h.a', [1, 2, 3, 4, 5])).toEqual([undefined, undefined, 3, 4, 5]);
  });

  it("prunes in setSecrets by the store's maxVersions too", async () => {
    const keepingTwo = storeWith({ maxVersions: 2 });
    for (let n = 1; n <= 4; n++) await keepingTwo.setSecrets([{ key: 'h.a', value: { n } }]);
    expect(await keptVersions('h.a')).toEqual([4, 3]);
  });

  it("lets a secret's metadata maxVersions override the store's, from the write that sets it", async () => {
    await writeAll('h.a', [1, 2, 3, 4]);
    await store.setSecret('h.a', { n: 5 }, { metadata: { maxVersions: 2 } });
    expect(await keptVersions('h.a')).toEqual([5, 4]);

    // Another store, with another default, still keeps this secret's own number.
    await writeAll('h.a', [6], storeWith({ maxVersions: 50 }));
    expect(await keptVersions('h.a')).toEqual([6, 5]);
    // Other secrets keep the store's default.
    await writeAll('h.b', [1, 2, 3]);
    expect(await keptVersions('h.b')).toEqual([3, 2, 1]);
  });

  it('applies a maxVersions set by updateSecretMetadata at the next write, not before', async () => {
    await writeAll('h.a', [1, 2, 3, 4, 5]);
    await store.updateSecretMetadata('h.a', { maxVersions: 2 });
    // Changing the metadata writes no value, so it prunes nothing yet.
    expect(await keptVersions('h.a')).toEqual([5, 4, 3, 2, 1]);

    await store.setSecret('h.a', { n: 6 });
    expect(await keptVersions('h.a')).toEqual([6, 5]);

    // Removing the override brings the store's default back: more versions are kept again from now on.
    await store.updateSecretMetadata('h.a', { maxVersions: null });
    await writeAll('h.a', [7, 8]);
    expect(await keptVersions('h.a')).toEqual([8, 7, 6, 5]);
  });

  it('raises the limit for a secret above the store default', async () => {
    const keepingTwo = storeWith({ maxVersions: 2 });
    await keepingTwo.setSecret('h.a', { n: 1 }, { metadata: { maxVersions: 4 } });
    await writeAll('h.a', [2, 3, 4, 5, 6], keepingTwo);
    expect(await keptVersions('h.a')).toEqual([6, 5, 4, 3]);
  });

  it('prunes a restore like any write', async () => {
    const keepingTwo = storeWith({ maxVersions: 2 });
    await writeAll('h.a', [1, 2], keepingTwo);
    expect(await keepingTwo.restoreSecretVersion('h.a', 1)).toEqual({ version: 3 });
    expect(await keptVersions('h.a')).toEqual([3, 2]);
    expect(await valuesOf('h.a', [3])).toEqual([1]);
  });

  it.each([0, 1001, 1.5, -1, Number.NaN])('refuses a store maxVersions of %p when built', (maxVersions) => {
    expect(() => storeWith({ maxVersions })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }) as Error,
    );
  });
});

describe('getSecretVersion', () => {
  it('reads the current, an old, and no destroyed, pruned or never written version', async () => {
    const keepingThree = storeWith({ maxVersions: 3 });
    await writeAll('h.a', [1, 2, 3, 4], keepingThree);
    await store.destroySecret('h.a', { versions: [3] });

    expect(await store.getSecretVersion(Counter, 'h.a', 4)).toEqual({ n: 4 });
    expect(await store.getSecretVersion(Counter, 'h.a', 2)).toEqual({ n: 2 });
    expect(await store.getSecretVersion(Counter, 'h.a', 3)).toBeUndefined(); // destroyed
    expect(await store.getSecretVersion(Counter, 'h.a', 1)).toBeUndefined(); // pruned
    expect(await store.getSecretVersion(Counter, 'h.a', 5)).toBeUndefined(); // never written
    expect(await store.getSecretVersion(Counter, 'h.none', 1)).toBeUndefined();
  });

  it('parses the version with the schema it is given', async () => {
    await store.setSecret('h.a', { n: 'text' });
    await store.setSecret('h.a', { n: 2 });
    await expect(store.getSecretVersion(Counter, 'h.a', 1)).rejects.toMatchObject({
      code: 'SECRET_VALIDATION_FAILED',
      key: 'h.a',
    });
    expect(await store.getSecretVersion(z.object({ n: z.string() }), 'h.a', 1)).toEqual({ n: 'text' });
  });

  it.each([0, -1, 1.5, 2 ** 31, '1', null])('refuses version %p with INVALID_ARGUMENT', async (version) => {
    const error = await expectRejection(
      store.getSecretVersion(Counter, 'h.a', version as number),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error).toMatchObject({ argument: 'version' });
  });
});

describe('listSecretVersions', () => {
  it('lists every kept version newest first, as { version, createdAt, deletedAt, destroyed } and never a value', async () => {
    await writeAll('h.a', [111111, 222222, 333333]);
    await store.destroySecret('h.a', { versions: [2] });

    const versions = await store.listSecretVersions('h.a');

    expect(versions.map(({ version, deletedAt, destroyed }) => ({ version, deletedAt, destroyed }))).toEqual([
      { version: 3, deletedAt: null, destroyed: false },
      { version: 2, deletedAt: null, destroyed: true },
      { version: 1, deletedAt: null, destroyed: false },
    ]);
    for (const info of versions) {
      expect(Object.keys(info).sort()).toEqual(['createdAt', 'deletedAt', 'destroyed', 'version']);
      expect(info.createdAt).toBeInstanceOf(Date);
    }
    expect(JSON.stringify(versions)).not.toMatch(/111111|222222|333333|"ct"|"value"/);
    // Newer versions were made no earlier than older ones.
    const times = versions.map(({ createdAt }) => createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('marks the latest version of a deleted secret, and only it', async () => {
    await writeAll('h.a', [1, 2]);
    await store.deleteSecret('h.a');
    const [latest, older] = await store.listSecretVersions('h.a');
    expect(latest).toMatchObject({ version: 2, destroyed: false });
    expect(latest.deletedAt).toBeInstanceOf(Date);
    expect(older).toMatchObject({ version: 1, deletedAt: null, destroyed: false });
  });

  it('is empty for a key never written, and after a purge', async () => {
    expect(await store.listSecretVersions('h.none')).toEqual([]);
    await writeAll('h.a', [1]);
    await store.deleteSecret('h.a');
    await store.purgeDeletedSecrets({ olderThan: 0 });
    expect(await store.listSecretVersions('h.a')).toEqual([]);
  });

  it('refuses an invalid key', async () => {
    await expect(store.listSecretVersions(' h.a')).rejects.toMatchObject({ code: 'INVALID_SECRET_KEY' });
  });
});

describe('restoreSecretVersion', () => {
  it("writes an old version's value as a new version, keeping the history it restores from", async () => {
    await writeAll('h.a', [1, 2, 3]);

    expect(await store.restoreSecretVersion('h.a', 1)).toEqual({ version: 4 });

    expect(await store.getSecretWithMetadata(Counter, 'h.a')).toMatchObject({ value: { n: 1 }, version: 4 });
    expect(await valuesOf('h.a', [1, 2, 3, 4])).toEqual([1, 2, 3, 1]);
  });

  it('binds the restored value to its own write, so that it reads as the new version', async () => {
    await writeAll('h.a', [1, 2]);
    await store.restoreSecretVersion('h.a', 1);
    const { rows } = await testDatabase().database.query(
      "SELECT version, write_id FROM secret_versions WHERE key = 'h.a' ORDER BY version",
      [],
    );
    const writeIds = (rows as { write_id: string }[]).map((row) => row.write_id);
    expect(new Set(writeIds).size).toBe(3);
    expect(await store.getSecret(Counter, 'h.a')).toEqual({ n: 1 });
  });

  it('keeps the metadata of the secret it restores', async () => {
    await store.setSecret('h.a', { n: 1 }, { metadata: { description: 'first', tags: { team: 'a' } } });
    await store.setSecret('h.a', { n: 2 }, { metadata: { description: 'second' } });
    await store.restoreSecretVersion('h.a', 1);
    expect(await store.getSecretMetadata('h.a')).toMatchObject({ description: 'second', tags: { team: 'a' } });
  });

  it('writes only over the version ifVersion names', async () => {
    await writeAll('h.a', [1, 2, 3]);
    const before = await storedState();

    const error = await expectRejection(
      store.restoreSecretVersion('h.a', 1, { ifVersion: 2 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    expect(error).toMatchObject({ key: 'h.a', expectedVersion: 2, currentVersion: 3 });
    expect(await storedState()).toEqual(before);

    expect(await store.restoreSecretVersion('h.a', 1, { ifVersion: 3 })).toEqual({ version: 4 });
    expect(await store.getSecret(Counter, 'h.a')).toEqual({ n: 1 });
  });

  it('refuses with SecretVersionNotFoundError a destroyed, pruned or never written version, writing nothing', async () => {
    const keepingThree = storeWith({ maxVersions: 3 });
    await writeAll('h.a', [1, 2, 3, 4], keepingThree);
    await store.destroySecret('h.a', { versions: [3] });
    const before = await storedState();

    for (const [version, what] of [
      [3, 'destroyed'],
      [1, 'pruned'],
      [9, 'never written'],
    ] as const) {
      const error = await expectRejection(
        keepingThree.restoreSecretVersion('h.a', version),
        SecretVersionNotFoundError,
        'SECRET_VERSION_NOT_FOUND',
      );
      expect({ what, key: error.key, version: error.version }).toEqual({ what, key: 'h.a', version });
    }
    await expectRejection(
      store.restoreSecretVersion('h.none', 1),
      SecretVersionNotFoundError,
      'SECRET_VERSION_NOT_FOUND',
    );
    expect(await storedState()).toEqual(before);
  });

  it('brings a deleted secret back at the next version, with the value restored', async () => {
    await writeAll('h.a', [1, 2]);
    await store.deleteSecret('h.a');

    expect(await store.restoreSecretVersion('h.a', 1)).toEqual({ version: 3 });

    expect(await store.getSecretWithMetadata(Counter, 'h.a')).toMatchObject({ value: { n: 1 }, version: 3 });
    expect((await store.getSecretMetadata('h.a'))?.deletedAt).toBeNull();
    expect((await store.listSecretVersions('h.a')).map(({ deletedAt }) => deletedAt)).toEqual([null, null, null]);
  });

  it('restores onto a deleted secret with ifVersion 0, and not with the version it had', async () => {
    await writeAll('h.a', [1, 2]);
    await store.deleteSecret('h.a');
    await expect(store.restoreSecretVersion('h.a', 1, { ifVersion: 2 })).rejects.toMatchObject({
      code: 'SECRET_VERSION_CONFLICT',
      currentVersion: 0,
    });
    expect(await store.restoreSecretVersion('h.a', 1, { ifVersion: 0 })).toEqual({ version: 3 });
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['version 0', () => store.restoreSecretVersion('h.a', 0), 'version'],
    ['a fractional version', () => store.restoreSecretVersion('h.a', 1.5), 'version'],
    ['a negative ifVersion', () => store.restoreSecretVersion('h.a', 1, { ifVersion: -1 }), 'ifVersion'],
    ['an empty actor', () => store.restoreSecretVersion('h.a', 1, { actor: '' }), 'actor'],
    ['options that are not an object', () => store.restoreSecretVersion('h.a', 1, 'x' as never), 'options'],
  ])('refuses %s with INVALID_ARGUMENT, writing nothing', async (_name, call, argument) => {
    await writeAll('h.a', [1, 2]);
    const before = await storedState();
    const error = await expectRejection(call(), InvalidArgumentError, 'INVALID_ARGUMENT');
    expect(error).toMatchObject({ argument });
    expect(await storedState()).toEqual(before);
  });
});

describe('the shape of history', () => {
  it('lists what it keeps in the same order getSecretVersion finds it', async () => {
    await writeAll('h.a', [1, 2, 3, 4]);
    await store.destroySecret('h.a', { versions: [2] });
    const listed: SecretVersionInfo[] = await store.listSecretVersions('h.a');
    const readable = await valuesOf(
      'h.a',
      listed.map(({ version }) => version),
    );
    expect(listed.map(({ destroyed }) => destroyed)).toEqual(readable.map((value) => value === undefined));
  });
});
