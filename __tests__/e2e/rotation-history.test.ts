/**
 * Key rotation with history and the audit trail: every kept version is re-encrypted without creating one, each
 * rewrite is audited, and the trail's checkpoints are signed again, so that the old key can leave the keyring
 * once a run scans nothing: old versions still read and the trail still verifies without it.
 */
import { z } from 'zod';

import {
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  type RotationResult,
  SecretStore,
  type SecretStoreOptions,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { auditRecordCount, auditRows, checkpointRows, lastAuditSeq } from '../support/audit-tables';

const testDatabase = useTestDatabase();

const k1 = generateEncryptionKey();
const k2 = generateEncryptionKey();

const Value = z.object({ n: z.number() });

function storeWith(encryption: SecretStoreOptions['encryption']): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
}

const onlyK1 = () => storeWith(parseEncryptionKeys(`k1:${k1}`));
const k2ThenK1 = () => storeWith(parseEncryptionKeys(`k2:${k2},k1:${k1}`));
const onlyK2 = () => storeWith({ ...parseEncryptionKeys(`k2:${k2}`), acceptPlaintext: false });

const NOTHING_LEFT: RotationResult = {
  scanned: 0,
  reEncrypted: 0,
  skipped: 0,
  failed: [],
  auditCheckpointsResealed: 0,
};

interface VersionRow {
  key: string;
  version: number;
  encoding: string;
  key_id: string | null;
  write_id: string | null;
  created_at: string;
  destroyed_at: string | null;
  value: string | null;
}

/** Every kept version as stored, timestamps as text so that microseconds count. */
async function versionRows(): Promise<VersionRow[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT key, version, encoding, key_id, write_id, created_at::text AS created_at,
            destroyed_at::text AS destroyed_at, value::text AS value
     FROM secret_versions ORDER BY key, version`,
    [],
  );
  return rows as VersionRow[];
}

/** What rotation must leave as it is: everything but the ciphertext and the key it is under. */
function identities(rows: readonly VersionRow[]) {
  return rows.map(({ key, version, write_id, created_at, destroyed_at }) => ({
    key,
    version,
    write_id,
    created_at,
    destroyed_at,
  }));
}

/**
 * Under k1: app.a at versions 1–3; app.b deleted; app.c with version 1 destroyed; app.d keeping 2 versions of 4.
 * Resolves every value written, by key and version.
 */
async function writeHistory(store: SecretStore): Promise<Map<string, Map<number, { n: number }>>> {
  const written = new Map<string, Map<number, { n: number }>>();
  const write = async (key: string, n: number, options?: Parameters<SecretStore['setSecret']>[2]) => {
    const { version } = await store.setSecret(key, { n }, options);
    if (!written.has(key)) written.set(key, new Map());
    written.get(key)?.set(version, { n });
  };
  for (const n of [1, 2, 3]) await write('app.a', n);
  await write('app.b', 10);
  expect(await store.deleteSecret('app.b')).toBe(true);
  for (const n of [20, 21]) await write('app.c', n);
  expect(await store.destroySecret('app.c', { versions: [1] })).toEqual({ destroyed: [1] });
  await write('app.d', 30, { metadata: { maxVersions: 2 } });
  for (const n of [31, 32, 33]) await write('app.d', n);
  return written;
}

beforeEach(async () => {
  await testDatabase().reset();
});

describe('rotating a store with history', () => {
  it('re-encrypts every kept version, creating none, so that every old version reads without the old key', async () => {
    const written = await writeHistory(onlyK1());
    const keys = ['app.a', 'app.b', 'app.c', 'app.d'];
    const before = await versionRows();
    const historyBefore = await Promise.all(keys.map((key) => onlyK1().listSecretVersions(key)));
    const metadataBefore = await Promise.all(keys.map((key) => onlyK1().getSecretMetadata(key)));
    // Kept versions with a value: app.a 1–3, app.b 1, app.c 2, app.d 3–4.
    const kept = before.filter((row) => row.value !== null);
    expect(kept.map(({ key, version }) => `${key}@${version}`)).toEqual([
      'app.a@1',
      'app.a@2',
      'app.a@3',
      'app.b@1',
      'app.c@2',
      'app.d@3',
      'app.d@4',
    ]);
    expect(kept.every((row) => row.key_id === 'k1')).toBe(true);
    // Without rotation, a store without k1 cannot read an old version.
    await expect(onlyK2().getSecretVersion(Value, 'app.a', 1)).rejects.toMatchObject({
      code: 'SECRET_DECRYPTION_FAILED',
      keyId: 'k1',
    });
    const seqBefore = await lastAuditSeq(testDatabase().database);

    const result = await k2ThenK1().rotateEncryptionKeys({ actor: 'rotation-job', batchSize: 3 });

    expect(result).toMatchObject({ scanned: 7, reEncrypted: 7, skipped: 0, failed: [] });
    // No version was created, removed or renumbered; times, writes and destroyed versions are as they were.
    const after = await versionRows();
    expect(identities(after)).toEqual(identities(before));
    for (const [i, row] of after.entries()) {
      if (before[i].value === null) {
        expect(row).toEqual(before[i]);
      } else {
        expect(row).toMatchObject({ encoding: 'aes-256-gcm', key_id: 'k2' });
        expect(row.value).not.toBe(before[i].value);
      }
    }
    const storeB = onlyK2();
    expect(await Promise.all(keys.map((key) => storeB.listSecretVersions(key)))).toEqual(historyBefore);
    // The current value's copy is rewritten with its version, the deleted secret's too.
    expect(await Promise.all(keys.map((key) => storeB.getSecretMetadata(key)))).toEqual(
      metadataBefore.map((metadata) => metadata && { ...metadata, keyId: 'k2' }),
    );

    // One rotate record per version, naming the write it re-encrypted, signed under k2; nothing else.
    const appended = await auditRows(testDatabase().database, seqBefore);
    expect(
      appended.map(({ operation, key, versions, keys, write_id, actor, mac_key_id }) => ({
        operation,
        key,
        versions,
        keys,
        write_id,
        actor,
        mac_key_id,
      })),
    ).toEqual(
      kept.map(({ key, version, write_id }) => ({
        operation: 'rotate',
        key,
        versions: [version],
        keys: [],
        write_id,
        actor: 'rotation-job',
        mac_key_id: 'k2',
      })),
    );

    // Nothing is left under k1: a second run scans nothing and records nothing.
    const seqAfter = await lastAuditSeq(testDatabase().database);
    expect(await k2ThenK1().rotateEncryptionKeys()).toEqual(NOTHING_LEFT);
    expect(await lastAuditSeq(testDatabase().database)).toBe(seqAfter);

    // k1 removed: every kept version reads as written, destroyed and removed ones read as missing.
    for (const [key, versions] of written) {
      for (const [version, value] of versions) {
        const stillKept = kept.some((row) => row.key === key && row.version === version);
        expect({ key, version, read: await storeB.getSecretVersion(Value, key, version) }).toEqual({
          key,
          version,
          read: stillKept ? value : undefined,
        });
      }
    }
    expect(await storeB.getSecret(Value, 'app.a')).toEqual({ n: 3 });
    expect(await storeB.getSecret(Value, 'app.b')).toBeUndefined();
    expect(await storeB.undeleteSecret('app.b')).toBe(true);
    expect(await storeB.getSecret(Value, 'app.b')).toEqual({ n: 10 });
    expect(await storeB.restoreSecretVersion('app.a', 1)).toEqual({ version: 4 });
    expect(await storeB.getSecret(Value, 'app.a')).toEqual({ n: 1 });
    expect(await storeB.verifyAuditTrail()).toMatchObject({
      ok: true,
      checked: await auditRecordCount(testDatabase().database),
    });
  });

  it('signs the checkpoints made under the old key again, so that the trail verifies without it', async () => {
    const storeA = onlyK1();
    await storeA.setSecret('audit.a', { n: 1 });
    await storeA.setSecret('audit.b', { n: 2 });
    await storeA.sealAuditTrail();
    await storeA.setSecret('audit.a', { n: 3 });
    await storeA.deleteSecret('audit.b');
    // A head kept outside the database before the rotation.
    const head = await storeA.sealAuditTrail();
    await storeA.updateSecretMetadata('audit.a', { description: 'unsealed, under k1' });
    const records = await auditRecordCount(testDatabase().database);
    const checkpointsBefore = await checkpointRows(testDatabase().database);
    expect(checkpointsBefore.map(({ mac_key_id }) => mac_key_id)).toEqual(['k1', 'k1']);
    // Without rotation, a store without k1 cannot check the trail.
    expect(await onlyK2().verifyAuditTrail()).toMatchObject({
      ok: false,
      firstProblem: { kind: 'checkpoint-unverifiable', checkpoint: checkpointsBefore[0].seq },
    });

    const result = await k2ThenK1().rotateEncryptionKeys();

    // audit.a 1–2 and audit.b 1. Two checkpoints under k1, and the one rotation added for the records left
    // unsealed (its own included): chained to the second's old MAC, it is signed again too.
    expect(result).toEqual({ ...NOTHING_LEFT, scanned: 3, reEncrypted: 3, auditCheckpointsResealed: 3 });
    const checkpointsAfter = await checkpointRows(testDatabase().database);
    expect(checkpointsAfter).toHaveLength(3);
    expect(checkpointsAfter.every(({ mac_key_id }) => mac_key_id === 'k2')).toBe(true);
    // What the checkpoints seal is unchanged: the same digests, so a head kept before still holds.
    expect(checkpointsAfter.slice(0, 2).map(({ digest }) => digest)).toEqual(
      checkpointsBefore.map(({ digest }) => digest),
    );
    checkpointsAfter.slice(0, 2).forEach(({ mac }, i) => expect(mac).not.toBe(checkpointsBefore[i].mac));

    const storeB = onlyK2();
    expect(await storeB.verifyAuditTrail()).toMatchObject({ ok: true, checked: records + 3, unsealed: 0 });
    expect(await storeB.verifyAuditTrail({ head })).toMatchObject({ ok: true });

    // Records signed under k1 stay tamper-evident through their checkpoint once k1 is gone.
    const [first] = await auditRows(testDatabase().database);
    expect(first).toMatchObject({ key: 'audit.a', mac_key_id: 'k1' });
    await testDatabase().database.query("UPDATE secret_audit_log SET actor = 'mallory' WHERE seq = $1", [first.seq]);
    expect(await storeB.verifyAuditTrail()).toMatchObject({
      ok: false,
      firstProblem: { kind: 'sealed-records-changed', checkpoint: checkpointsAfter[0].seq },
    });
  });

  it('signs nothing again on a run after one that finished', async () => {
    const storeA = onlyK1();
    await storeA.setSecret('again.a', { n: 1 });
    await storeA.sealAuditTrail();
    expect(await k2ThenK1().rotateEncryptionKeys()).toMatchObject({ reEncrypted: 1, auditCheckpointsResealed: 2 });
    const sealed = await checkpointRows(testDatabase().database);

    // Writes under k2 since: sealed by the next run in a checkpoint that needs no second signature.
    await onlyK2().setSecret('again.b', { n: 2 });
    expect(await k2ThenK1().rotateEncryptionKeys()).toEqual(NOTHING_LEFT);

    const after = await checkpointRows(testDatabase().database);
    expect(after.slice(0, sealed.length)).toEqual(sealed);
    expect(after).toHaveLength(sealed.length + 1);
    expect(await onlyK2().verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
  });

  it("moves a trail of plain hashes, made with encryption 'none', to the keyring", async () => {
    const plain = storeWith('none');
    await plain.setSecret('plain.a', { n: 1 });
    await plain.setSecret('plain.a', { n: 2 });
    await plain.sealAuditTrail();
    await plain.setSecret('plain.b', { n: 3 });
    expect(await onlyK1().verifyAuditTrail()).toMatchObject({ ok: false });

    const result = await onlyK1().rotateEncryptionKeys({ actor: 'go-encrypted' });

    expect(result).toEqual({ ...NOTHING_LEFT, scanned: 3, reEncrypted: 3, auditCheckpointsResealed: 2 });
    const strict = storeWith({ ...parseEncryptionKeys(`k1:${k1}`), acceptPlaintext: false });
    expect(await strict.getSecretVersion(Value, 'plain.a', 1)).toEqual({ n: 1 });
    expect(await strict.getSecretVersion(Value, 'plain.a', 2)).toEqual({ n: 2 });
    expect(await strict.getSecret(Value, 'plain.b')).toEqual({ n: 3 });
    expect((await checkpointRows(testDatabase().database)).map(({ mac_key_id }) => mac_key_id)).toEqual(['k1', 'k1']);
    expect(await strict.verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
  });
});

describe('rotating inside a transaction', () => {
  it('leaves no re-encryption, record or checkpoint behind when the transaction rolls back', async () => {
    await writeHistory(onlyK1());
    await onlyK1().sealAuditTrail();
    const before = {
      versions: await versionRows(),
      audit: await auditRows(testDatabase().database),
      checkpoints: await checkpointRows(testDatabase().database),
    };
    const rollback = new Error('roll back');

    let inside: RotationResult | undefined;
    await expect(
      k2ThenK1().transaction(async (transaction) => {
        inside = await transaction.rotateEncryptionKeys();
        throw rollback;
      }),
    ).rejects.toBe(rollback);

    expect(inside).toMatchObject({ reEncrypted: 7, auditCheckpointsResealed: 2 });
    expect({
      versions: await versionRows(),
      audit: await auditRows(testDatabase().database),
      checkpoints: await checkpointRows(testDatabase().database),
    }).toEqual(before);
  });

  it('commits the re-encryptions, their records and the checkpoints together', async () => {
    await writeHistory(onlyK1());
    await onlyK1().sealAuditTrail();

    const result = await k2ThenK1().transaction((transaction) => transaction.rotateEncryptionKeys());

    expect(result).toMatchObject({ scanned: 7, reEncrypted: 7, failed: [] });
    expect((await versionRows()).filter((row) => row.value !== null && row.key_id !== 'k2')).toEqual([]);
    expect(await onlyK2().verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
    expect(await k2ThenK1().rotateEncryptionKeys()).toEqual(NOTHING_LEFT);
  });
});
