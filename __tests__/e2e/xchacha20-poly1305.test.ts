/**
 * XChaCha20-Poly1305 on the real stack (migration 006): a store that writes it, rows of both algorithms read by
 * either store, and rotation moving every kept version to whichever algorithm the keyring writes.
 */
import { z } from 'zod';

import {
  EncryptionKey,
  PostgresSecretStoreRepository,
  SecretStore,
  type EncryptionAlgorithm,
  type SecretEncoding,
} from '../../src';
import { useTestDatabase } from '../harness/database';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
const keys = { k1: EncryptionKey.generate() };

function store(algorithm: EncryptionAlgorithm): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: { keys, activeKeyId: 'k1', algorithm },
  });
}

async function encodings(table: 'secret_store' | 'secret_versions'): Promise<SecretEncoding[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT DISTINCT encoding FROM ${table} WHERE value IS NOT NULL ORDER BY encoding`,
  );
  return (rows as { encoding: SecretEncoding }[]).map(({ encoding }) => encoding);
}

beforeEach(() => testDatabase().reset());

describe('a store that writes XChaCha20-Poly1305', () => {
  it('writes, lists, keeps and restores versions in its encoding', async () => {
    const xchacha = store('xchacha20-poly1305');
    await xchacha.setSecret('env/a', { n: 1 });
    await xchacha.setSecret('env/a', { n: 2 });
    await xchacha.setSecrets([
      { key: 'env/b', value: { n: 3 } },
      { key: 'env/c', value: { n: 4 } },
    ]);
    expect(await encodings('secret_store')).toEqual(['xchacha20-poly1305']);
    expect(await encodings('secret_versions')).toEqual(['xchacha20-poly1305']);
    expect(await xchacha.getSecret(Counter, 'env/a')).toEqual({ n: 2 });
    expect((await xchacha.getSecrets(Counter, 'env/')).map(({ value }) => value.n)).toEqual([2, 3, 4]);
    expect(await xchacha.getSecretVersion(Counter, 'env/a', 1)).toEqual({ n: 1 });
    await xchacha.restoreSecretVersion('env/a', 1);
    expect(await xchacha.getSecret(Counter, 'env/a')).toEqual({ n: 1 });
    expect(await xchacha.encryptionUsage()).toEqual([{ encoding: 'xchacha20-poly1305', keyId: 'k1', secrets: 5 }]);
    expect(xchacha.describe().keyring).toMatchObject({ algorithm: 'xchacha20-poly1305', activeKeyId: 'k1' });
    expect(await xchacha.verifyAuditTrail()).toMatchObject({ ok: true });
  });

  it('reads AES-256-GCM rows, and its rows are read by a store that writes AES-256-GCM', async () => {
    const gcm = store('aes-256-gcm');
    const xchacha = store('xchacha20-poly1305');
    await gcm.setSecret('mixed/gcm', { n: 1 });
    await xchacha.setSecret('mixed/xchacha', { n: 2 });
    for (const reader of [gcm, xchacha]) {
      expect((await reader.getSecrets(Counter, 'mixed/')).map(({ value }) => value.n)).toEqual([1, 2]);
    }
  });

  it('moves every kept version to the algorithm the keyring writes, and back', async () => {
    const gcm = store('aes-256-gcm');
    const xchacha = store('xchacha20-poly1305');
    for (let n = 1; n <= 3; n++) await gcm.setSecret('rot/a', { n });
    await gcm.setSecret('rot/b', { n: 9 });

    const forward = await xchacha.rotateEncryptionKeys({ batchSize: 2 });
    expect(forward).toMatchObject({ scanned: 4, reEncrypted: 4, skipped: 0, failed: [] });
    expect(await encodings('secret_versions')).toEqual(['xchacha20-poly1305']);
    expect(await encodings('secret_store')).toEqual(['xchacha20-poly1305']);
    expect(await xchacha.rotateEncryptionKeys()).toMatchObject({ scanned: 0, reEncrypted: 0 });
    expect(await gcm.getSecretVersion(Counter, 'rot/a', 2)).toEqual({ n: 2 });
    expect(await gcm.getSecret(Counter, 'rot/a')).toEqual({ n: 3 });

    expect(await gcm.rotateEncryptionKeys()).toMatchObject({ scanned: 4, reEncrypted: 4, failed: [] });
    expect(await encodings('secret_versions')).toEqual(['aes-256-gcm']);
    expect(await gcm.verifyAuditTrail()).toMatchObject({ ok: true });
  });

  it('is refused by the table without a key id, as an AES-256-GCM row is', async () => {
    await store('xchacha20-poly1305').setSecret('check/a', { n: 1 });
    await expect(
      testDatabase().database.query("UPDATE secret_store SET key_id = NULL WHERE key = 'check/a'"),
    ).rejects.toThrow(/secret_store_key_id_check/);
    await expect(
      testDatabase().database.query("UPDATE secret_versions SET key_id = NULL WHERE key = 'check/a'"),
    ).rejects.toThrow(/secret_versions_key_id_check/);
  });
});
