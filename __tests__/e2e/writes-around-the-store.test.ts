/**
 * Rows written into secret_store by anything but the store — a hand-written import, or an older version of the
 * package during a rolling upgrade (whose statements know nothing of secret_versions) — become versions too,
 * so that history, encryptionUsage() and rotation see them: rotation that missed a value would leave it
 * encrypted under a key the operator is about to remove.
 */
import { z } from 'zod';

import { EncryptionKey, PostgresSecretStoreRepository, SecretStore } from '../../src';
import { useTestDatabase } from '../harness/database';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });

/** The write of the package before the lifecycle migration (003): an upsert of secret_store alone. */
const OLDER_PACKAGE_UPSERT = `
  INSERT INTO secret_store (key, value, encoding, key_id) VALUES ($1, $2::jsonb, 'plain', NULL)
  ON CONFLICT (key) DO UPDATE
  SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id,
      version = secret_store.version + 1, updated_at = now()`;

const oldKey = EncryptionKey.generate();
const newKey = EncryptionKey.generate();

function storeWith(keys: Record<string, EncryptionKey>, activeKeyId: string): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: { keys, activeKeyId },
  });
}

async function versionRows(key: string): Promise<{ version: number; encoding: string }[]> {
  const { rows } = await testDatabase().database.query(
    'SELECT version, encoding FROM secret_versions WHERE key = $1 ORDER BY version',
    [key],
  );
  return rows as { version: number; encoding: string }[];
}

beforeEach(() => testDatabase().reset());

describe('a value written around the store', () => {
  it('by an import of rows becomes their first version', async () => {
    const store = storeWith({ old: oldKey }, 'old');
    await testDatabase().database.query(
      `INSERT INTO secret_store (key, value, encoding) VALUES ('imported.a', '{"n": 1}', 'plain'),
                                                               ('imported.b', '{"n": 2}', 'plain')`,
      [],
    );

    expect(await versionRows('imported.a')).toEqual([{ version: 1, encoding: 'plain' }]);
    expect((await store.listSecretVersions('imported.b')).map(({ version }) => version)).toEqual([1]);
    expect(await store.getSecretVersion(Counter, 'imported.a', 1)).toEqual({ n: 1 });
    expect(await store.encryptionUsage()).toEqual([{ encoding: 'plain', keyId: null, secrets: 2 }]);

    // Written again by the store, the history continues from it.
    await store.setSecret('imported.a', { n: 3 });
    expect(await versionRows('imported.a')).toEqual([
      { version: 1, encoding: 'plain' },
      { version: 2, encoding: 'aes-256-gcm' },
    ]);
  });

  it('by an older package during a rolling upgrade is kept as a version, and rotation reaches it', async () => {
    const before = storeWith({ old: oldKey }, 'old');
    await before.setSecret('rolling', { n: 1 });
    await testDatabase().database.query(OLDER_PACKAGE_UPSERT, ['rolling', '{"n": 2}']);
    await testDatabase().database.query(OLDER_PACKAGE_UPSERT, ['rolling.new', '{"n": 10}']);

    expect(await versionRows('rolling')).toEqual([
      { version: 1, encoding: 'aes-256-gcm' },
      { version: 2, encoding: 'plain' },
    ]);
    expect(await before.getSecret(Counter, 'rolling')).toEqual({ n: 2 });
    expect(await before.getSecretVersion(Counter, 'rolling', 1)).toEqual({ n: 1 });
    expect(await versionRows('rolling.new')).toEqual([{ version: 1, encoding: 'plain' }]);

    const rotating = storeWith({ old: oldKey, new: newKey }, 'new');
    const rotation = await rotating.rotateEncryptionKeys();
    expect(rotation).toMatchObject({ scanned: 3, reEncrypted: 3, failed: [] });
    expect(await rotating.encryptionUsage()).toEqual([{ encoding: 'aes-256-gcm', keyId: 'new', secrets: 3 }]);

    // Nothing is left under the old key or in plaintext: the old key can go.
    const after = storeWith({ new: newKey }, 'new');
    expect(await after.getSecret(Counter, 'rolling')).toEqual({ n: 2 });
    expect(await after.getSecretVersion(Counter, 'rolling', 1)).toEqual({ n: 1 });
    expect(await after.getSecretVersion(Counter, 'rolling', 2)).toEqual({ n: 2 });
    expect(await after.getSecret(Counter, 'rolling.new')).toEqual({ n: 10 });
    expect(await versionRows('rolling')).toEqual([
      { version: 1, encoding: 'aes-256-gcm' },
      { version: 2, encoding: 'aes-256-gcm' },
    ]);
  });

  it('keeps one version row per write of the store itself', async () => {
    const store = storeWith({ old: oldKey }, 'old');
    await store.setSecret('own', { n: 1 });
    await store.setSecret('own', { n: 2 });
    await store.setSecrets([{ key: 'own', value: { n: 3 } }]);
    await store.restoreSecretVersion('own', 1);
    expect(await versionRows('own')).toEqual([1, 2, 3, 4].map((version) => ({ version, encoding: 'aes-256-gcm' })));
    expect(await store.getSecretVersion(Counter, 'own', 4)).toEqual({ n: 1 });
  });
});
