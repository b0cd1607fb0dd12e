/**
 * Soft delete on the real stack: a deleted secret reads as missing and leaves every listing, but its history
 * stays, undeleteSecret brings its latest version back, and a write continues from the version it had.
 */
import { z } from 'zod';

import {
  anyJson,
  PostgresSecretStoreRepository,
  SecretNotFoundError,
  SecretStore,
  SecretVersionConflictError,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: testKeyring() });
});

beforeEach(() => testDatabase().reset());

async function versionsOf(key: string): Promise<number[]> {
  return (await store.listSecretVersions(key)).map(({ version }) => version);
}

describe('a deleted secret', () => {
  beforeEach(async () => {
    await store.setSecret('sd.a', { n: 1 });
    await store.setSecret('sd.a', { n: 2 });
    await store.setSecret('sd.b', { n: 10 });
    expect(await store.deleteSecret('sd.a')).toBe(true);
  });

  it('reads as missing from every read of its value', async () => {
    expect(await store.getSecret(Counter, 'sd.a')).toBeUndefined();
    expect(await store.getSecretWithMetadata(Counter, 'sd.a')).toBeUndefined();
    const error = await expectRejection(
      store.getSecretOrThrow(Counter, 'sd.a'),
      SecretNotFoundError,
      'SECRET_NOT_FOUND',
    );
    expect(error.key).toBe('sd.a');
    expect(await store.getSecrets(Counter, 'sd.')).toEqual([{ key: 'sd.b', value: { n: 10 } }]);
    expect(await store.getSecretsByKeys(Counter, ['sd.a', 'sd.b'])).toEqual([{ key: 'sd.b', value: { n: 10 } }]);
  });

  it('leaves listSecrets, unless includeDeleted, where deletedAt marks it', async () => {
    expect((await store.listSecrets()).secrets.map(({ key }) => key)).toEqual(['sd.b']);
    const { secrets } = await store.listSecrets({ includeDeleted: true });
    expect(secrets.map(({ key, deletedAt }) => ({ key, deleted: deletedAt instanceof Date }))).toEqual([
      { key: 'sd.a', deleted: true },
      { key: 'sd.b', deleted: false },
    ]);
  });

  it('keeps its history, and its metadata says it is deleted at the version it had', async () => {
    expect(await versionsOf('sd.a')).toEqual([2, 1]);
    expect(await store.getSecretVersion(Counter, 'sd.a', 1)).toEqual({ n: 1 });
    const metadata = await store.getSecretMetadata('sd.a');
    expect(metadata).toMatchObject({ key: 'sd.a', version: 2 });
    expect(metadata?.deletedAt).toBeInstanceOf(Date);
  });

  it('comes back with its latest version on undelete', async () => {
    expect(await store.undeleteSecret('sd.a')).toBe(true);

    expect(await store.getSecretWithMetadata(Counter, 'sd.a')).toMatchObject({ value: { n: 2 }, version: 2 });
    expect((await store.getSecretMetadata('sd.a'))?.deletedAt).toBeNull();
    expect(await versionsOf('sd.a')).toEqual([2, 1]);
    expect((await store.listSecrets()).secrets.map(({ key }) => key)).toEqual(['sd.a', 'sd.b']);
  });

  it('is written again at the next version by setSecret, which undeletes it', async () => {
    expect(await store.setSecret('sd.a', { n: 3 })).toEqual({ version: 3 });
    expect(await store.getSecretWithMetadata(Counter, 'sd.a')).toMatchObject({ value: { n: 3 }, version: 3 });
    expect((await store.getSecretMetadata('sd.a'))?.deletedAt).toBeNull();
    expect(await versionsOf('sd.a')).toEqual([3, 2, 1]);
  });

  it('is written again by setSecrets, which undeletes it', async () => {
    expect(await store.setSecrets([{ key: 'sd.a', value: { n: 3 } }])).toEqual([{ key: 'sd.a', version: 3 }]);
    expect(await store.getSecret(Counter, 'sd.a')).toEqual({ n: 3 });
    expect((await store.getSecretMetadata('sd.a'))?.deletedAt).toBeNull();
  });

  it('counts as absent for compare-and-set: ifVersion 0 writes, its old version conflicts with 0', async () => {
    const error = await expectRejection(
      store.setSecret('sd.a', { n: 3 }, { ifVersion: 2 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    expect(error).toMatchObject({ expectedVersion: 2, currentVersion: 0 });
    expect(await store.getSecret(Counter, 'sd.a')).toBeUndefined();

    expect(await store.setSecret('sd.a', { n: 3 }, { ifVersion: 0 })).toEqual({ version: 3 });
    expect(await store.getSecret(Counter, 'sd.a')).toEqual({ n: 3 });
  });

  it('refuses a metadata change with SecretNotFoundError', async () => {
    await expectRejection(
      store.updateSecretMetadata('sd.a', { description: 'x' }),
      SecretNotFoundError,
      'SECRET_NOT_FOUND',
    );
    expect((await store.getSecretMetadata('sd.a'))?.description).toBeNull();
  });
});

describe('what delete and undelete resolve', () => {
  it('resolves true only when a change was made', async () => {
    await store.setSecret('sd.a', { n: 1 });

    expect(await store.undeleteSecret('sd.a')).toBe(false); // not deleted
    expect(await store.deleteSecret('sd.a')).toBe(true);
    expect(await store.deleteSecret('sd.a')).toBe(false); // already deleted
    expect(await store.undeleteSecret('sd.a')).toBe(true);
    expect(await store.undeleteSecret('sd.a')).toBe(false); // already back

    expect(await store.deleteSecret('sd.never')).toBe(false);
    expect(await store.undeleteSecret('sd.never')).toBe(false);
  });

  it('resolves false for a secret destroyed or purged, which cannot come back', async () => {
    await store.setSecret('sd.destroyed', { n: 1 });
    await store.destroySecret('sd.destroyed');
    await store.setSecret('sd.purged', { n: 1 });
    await store.deleteSecret('sd.purged');
    await store.purgeDeletedSecrets({ olderThan: 0 });

    for (const key of ['sd.destroyed', 'sd.purged']) {
      expect(await store.deleteSecret(key)).toBe(false);
      expect(await store.undeleteSecret(key)).toBe(false);
      expect(await store.getSecret(anyJson, key)).toBeUndefined();
    }
  });

  it('records each change in the audit trail, and nothing for those that changed nothing', async () => {
    await store.setSecret('sd.a', { n: 1 });
    await store.deleteSecret('sd.a');
    await store.deleteSecret('sd.a');
    await store.undeleteSecret('sd.a');
    await store.undeleteSecret('sd.a');
    await store.deleteSecret('sd.never');

    const { records } = await store.readAuditTrail();
    expect(records.map(({ operation, key, versions }) => ({ operation, key, versions }))).toEqual([
      { operation: 'set', key: 'sd.a', versions: [1] },
      { operation: 'delete', key: 'sd.a', versions: [1] },
      { operation: 'undelete', key: 'sd.a', versions: [1] },
    ]);
  });
});

describe('the version', () => {
  it('is left as it is by delete, undelete and metadata changes', async () => {
    await store.setSecret('sd.a', { n: 1 });
    await store.setSecret('sd.a', { n: 2 });
    const version = async () => (await store.getSecretMetadata('sd.a'))?.version;

    await store.updateSecretMetadata('sd.a', { description: 'two' });
    expect(await version()).toBe(2);
    await store.deleteSecret('sd.a');
    expect(await version()).toBe(2);
    await store.undeleteSecret('sd.a');
    expect(await version()).toBe(2);
    expect(await store.getSecretWithMetadata(Counter, 'sd.a')).toMatchObject({ version: 2 });
    expect(await versionsOf('sd.a')).toEqual([2, 1]);

    // A compare-and-set against the version read before all of that still holds.
    expect(await store.setSecret('sd.a', { n: 3 }, { ifVersion: 2 })).toEqual({ version: 3 });
  });
});
