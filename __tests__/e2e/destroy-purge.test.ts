/**
 * Destroy and purge on the real stack: destroySecret erases chosen versions (or every one, and the secret) for
 * good while the records that they existed stay; purgeDeletedSecrets removes secrets deleted long enough ago.
 * Bad arguments write nothing.
 */
import { z } from 'zod';

import {
  anyJson,
  InvalidArgumentError,
  PostgresSecretStoreRepository,
  SecretNotFoundError,
  SecretStore,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
const HOUR = 60 * 60 * 1000;
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: testKeyring() });
});

beforeEach(() => testDatabase().reset());

async function writeVersions(key: string, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) await store.setSecret(key, { n });
}

async function versionsOf(key: string): Promise<{ version: number; destroyed: boolean }[]> {
  return (await store.listSecretVersions(key)).map(({ version, destroyed }) => ({ version, destroyed }));
}

/** Everything any change leaves behind, as text. */
async function storedState(): Promise<unknown[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT 'secret' AS kind, key, version, value::text AS value, deleted_at::text AS extra FROM secret_store
     UNION ALL SELECT 'version', key, version, value::text, destroyed_at::text FROM secret_versions
     UNION ALL SELECT 'audit', key, NULL, operation, array_to_string(versions, ',') FROM secret_audit_log
     UNION ALL SELECT 'tombstone', key, last_version, NULL, NULL FROM secret_store_tombstones
     ORDER BY 1, 2, 3, 4`,
    [],
  );
  return rows;
}

/** Moves a secret's deletion back in time, as if it had been deleted `ago` milliseconds ago. */
async function deletedAgo(key: string, ago: number): Promise<void> {
  await testDatabase().database.query(
    "UPDATE secret_store SET deleted_at = now() - $2::bigint * interval '1 millisecond' WHERE key = $1",
    [key, ago],
  );
}

describe('destroySecret with versions', () => {
  it('erases those versions and resolves them, keeping the records that they existed', async () => {
    await writeVersions('d.a', 4);

    expect(await store.destroySecret('d.a', { versions: [3, 1] })).toEqual({ destroyed: [1, 3] });

    expect(await versionsOf('d.a')).toEqual([
      { version: 4, destroyed: false },
      { version: 3, destroyed: true },
      { version: 2, destroyed: false },
      { version: 1, destroyed: true },
    ]);
    expect(await store.getSecretVersion(Counter, 'd.a', 1)).toBeUndefined();
    expect(await store.getSecretVersion(Counter, 'd.a', 2)).toEqual({ n: 2 });
    expect(await store.getSecret(Counter, 'd.a')).toEqual({ n: 4 });
    const { rows } = await testDatabase().database.query(
      "SELECT version FROM secret_versions WHERE key = 'd.a' AND (value IS NULL) <> (destroyed_at IS NOT NULL)",
      [],
    );
    expect(rows).toEqual([]);
  });

  it('resolves only the versions it erased: not those destroyed already, pruned or never written', async () => {
    await writeVersions('d.a', 2);
    await store.destroySecret('d.a', { versions: [1] });

    expect(await store.destroySecret('d.a', { versions: [1, 2, 7, 2] })).toEqual({ destroyed: [2] });
    expect(await store.destroySecret('d.a', { versions: [1, 2] })).toEqual({ destroyed: [] });
    expect(await store.destroySecret('d.never', { versions: [1] })).toEqual({ destroyed: [] });
    const { records } = await store.readAuditTrail();
    expect(records.filter(({ operation }) => operation === 'destroy').map(({ versions }) => versions)).toEqual([
      [1],
      [2],
    ]);
  });

  it('leaves a secret whose current version it destroyed reading as missing, until written again', async () => {
    await writeVersions('d.a', 2);
    await store.destroySecret('d.a', { versions: [2] });

    expect(await store.getSecret(Counter, 'd.a')).toBeUndefined();
    expect(await store.getSecretWithMetadata(Counter, 'd.a')).toBeUndefined();
    await expectRejection(store.getSecretOrThrow(Counter, 'd.a'), SecretNotFoundError, 'SECRET_NOT_FOUND');
    expect(await store.getSecrets(Counter, 'd.')).toEqual([]);
    expect(await store.getSecretsByKeys(Counter, ['d.a'])).toEqual([]);
    // Its older version is still there to restore.
    expect(await store.restoreSecretVersion('d.a', 1)).toEqual({ version: 3 });
    expect(await store.getSecret(Counter, 'd.a')).toEqual({ n: 1 });
  });

  it('lets ifVersion 0 create over a destroyed current version', async () => {
    await writeVersions('d.a', 2);
    await store.destroySecret('d.a', { versions: [2] });
    expect(await store.setSecret('d.a', { n: 3 }, { ifVersion: 0 })).toEqual({ version: 3 });
  });
});

describe('destroySecret of every version', () => {
  it('removes the secret and erases every value, keeping the records of its versions as destroyed', async () => {
    await writeVersions('d.a', 3);
    await store.setSecret('d.b', { n: 1 });

    expect(await store.destroySecret('d.a')).toEqual({ destroyed: [1, 2, 3] });

    expect(await store.getSecret(Counter, 'd.a')).toBeUndefined();
    expect(await store.getSecretMetadata('d.a')).toBeUndefined();
    expect((await store.listSecrets({ includeDeleted: true })).secrets.map(({ key }) => key)).toEqual(['d.b']);
    expect(await versionsOf('d.a')).toEqual([
      { version: 3, destroyed: true },
      { version: 2, destroyed: true },
      { version: 1, destroyed: true },
    ]);
    const { rows } = await testDatabase().database.query(
      "SELECT count(*)::int AS n FROM secret_versions WHERE key = 'd.a' AND value IS NOT NULL",
      [],
    );
    expect(rows).toEqual([{ n: 0 }]);
    expect(await store.getSecret(Counter, 'd.b')).toEqual({ n: 1 });
  });

  it('destroys a deleted secret too', async () => {
    await writeVersions('d.a', 2);
    await store.deleteSecret('d.a');
    expect(await store.destroySecret('d.a')).toEqual({ destroyed: [1, 2] });
    expect(await store.getSecretMetadata('d.a')).toBeUndefined();
    expect(await store.undeleteSecret('d.a')).toBe(false);
  });

  it('resolves [] and records nothing for a key never written', async () => {
    expect(await store.destroySecret('d.never')).toEqual({ destroyed: [] });
    expect((await store.readAuditTrail()).records).toEqual([]);
  });

  it('continues versions from the last one when the key is written again', async () => {
    await writeVersions('d.a', 3);
    await store.destroySecret('d.a');
    expect(await store.setSecret('d.a', { n: 4 })).toEqual({ version: 4 });
    expect(await versionsOf('d.a')).toEqual([
      { version: 4, destroyed: false },
      { version: 3, destroyed: true },
      { version: 2, destroyed: true },
      { version: 1, destroyed: true },
    ]);
  });
});

describe('destroySecret refuses bad arguments with INVALID_ARGUMENT, writing nothing', () => {
  it.each<[string, unknown, string]>([
    ['an empty list of versions', { versions: [] }, 'versions'],
    ['versions that are not a list', { versions: 2 }, 'versions'],
    ['version 0', { versions: [1, 0] }, 'versions[1]'],
    ['a fractional version', { versions: [1.5] }, 'versions[0]'],
    ['a version as text', { versions: ['1'] }, 'versions[0]'],
    ['a version beyond 32 bits', { versions: [2 ** 31] }, 'versions[0]'],
    ['an empty actor', { actor: '' }, 'actor'],
    ['options that are not an object', 'all', 'options'],
  ])('%s', async (_name, options, argument) => {
    await writeVersions('d.a', 2);
    const before = await storedState();
    const error = await expectRejection(
      store.destroySecret('d.a', options as never),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error).toMatchObject({ argument });
    expect(await storedState()).toEqual(before);
  });
});

describe('purgeDeletedSecrets', () => {
  it('removes only secrets deleted longer ago than olderThan, with every version', async () => {
    for (const key of ['p.old', 'p.older', 'p.recent', 'p.live']) await writeVersions(key, 2);
    for (const key of ['p.old', 'p.older', 'p.recent']) await store.deleteSecret(key);
    await deletedAgo('p.old', 2 * HOUR);
    await deletedAgo('p.older', 48 * HOUR);
    await deletedAgo('p.recent', HOUR / 2);
    // Written long ago but never deleted: never purged.
    await testDatabase().database.query(
      "UPDATE secret_store SET created_at = now() - interval '1 year', updated_at = now() - interval '1 year' WHERE key = 'p.live'",
      [],
    );

    expect(await store.purgeDeletedSecrets({ olderThan: HOUR })).toEqual({ purged: ['p.old', 'p.older'] });

    for (const key of ['p.old', 'p.older']) {
      expect(await store.getSecretMetadata(key)).toBeUndefined();
      expect(await store.listSecretVersions(key)).toEqual([]);
      expect(await store.getSecretVersion(Counter, key, 1)).toBeUndefined();
      expect(await store.undeleteSecret(key)).toBe(false);
    }
    expect(await store.undeleteSecret('p.recent')).toBe(true);
    expect(await store.getSecret(Counter, 'p.recent')).toEqual({ n: 2 });
    expect(await store.getSecret(Counter, 'p.live')).toEqual({ n: 2 });
  });

  it('with olderThan 0 purges every deleted secret, and a second run finds nothing', async () => {
    await writeVersions('p.a', 1);
    await writeVersions('p.b', 1);
    await store.deleteSecret('p.b');
    await store.deleteSecret('p.a');

    expect(await store.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: ['p.a', 'p.b'] });
    expect(await store.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: [] });
    const { records } = await store.readAuditTrail();
    expect(records.filter(({ operation }) => operation === 'purge').map(({ key, keys }) => ({ key, keys }))).toEqual([
      { key: null, keys: ['p.a', 'p.b'] },
    ]);
  });

  it('leaves versions continuing from the last one when a purged key is written again', async () => {
    await writeVersions('p.a', 3);
    await store.deleteSecret('p.a');
    await store.purgeDeletedSecrets({ olderThan: 0 });
    expect(await store.setSecret('p.a', { n: 4 })).toEqual({ version: 4 });
    expect(await versionsOf('p.a')).toEqual([{ version: 4, destroyed: false }]);
  });

  it.each<[string, unknown, string]>([
    ['no options', undefined, 'olderThan'],
    ['no olderThan', {}, 'olderThan'],
    ['a negative olderThan', { olderThan: -1 }, 'olderThan'],
    ['a fractional olderThan', { olderThan: 1.5 }, 'olderThan'],
    ['olderThan as text', { olderThan: '3600000' }, 'olderThan'],
    ['an infinite olderThan', { olderThan: Number.POSITIVE_INFINITY }, 'olderThan'],
    ['an actor that is not text', { olderThan: 0, actor: 7 }, 'actor'],
    ['options that are not an object', 0, 'options'],
  ])('refuses %s with INVALID_ARGUMENT, purging nothing', async (_name, options, argument) => {
    await writeVersions('p.a', 1);
    await store.deleteSecret('p.a');
    const before = await storedState();
    const error = await expectRejection(
      store.purgeDeletedSecrets(options as never),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error).toMatchObject({ argument });
    expect(await storedState()).toEqual(before);
    expect(await store.getSecretMetadata('p.a')).toBeDefined();
  });

  it('is what a deleted secret needs before its key reads as never written', async () => {
    await writeVersions('p.a', 1);
    await store.deleteSecret('p.a');
    expect(await store.getSecretMetadata('p.a')).toBeDefined();
    await store.purgeDeletedSecrets({ olderThan: 0 });
    expect(await store.getSecretMetadata('p.a')).toBeUndefined();
    expect(await store.getSecret(anyJson, 'p.a')).toBeUndefined();
  });
});
