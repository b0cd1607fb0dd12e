/**
 * What verifyAuditTrail finds when someone with write access to the tables, but without the keyring, changes
 * them with SQL, and what it cannot find. Each test names the problem reported first, or says that nothing is
 * reported; the limits are tests too, so that a change of what is detected shows up here.
 *
 * Records and checkpoints are signed here independently of src, as the store signs them: an HMAC-SHA256 under
 * a key derived with HKDF-SHA256 from a keyring key (info "@kongflow/secretstore audit v1", no salt), over
 * JSON ["record", 1, id, operation, key, writeId, actor, at]; without a keyring, a plain SHA-256.
 */
import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';

import { z } from 'zod';

import {
  AuditTrailInvalidError,
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
  type AuditTrailHead,
  type AuditTrailVerification,
  type SecretStoreOptions,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';

const testDatabase = useTestDatabase();

const k1 = generateEncryptionKey();
const Password = z.object({ password: z.string() });

function storeWith(options: SecretStoreOptions = {}): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: parseEncryptionKeys(`k1:${k1}`),
    ...options,
  });
}

async function sql(text: string, params: unknown[] = []): Promise<unknown[]> {
  return (await testDatabase().database.query(text, params)).rows;
}

/** An audit record as the table holds it. */
interface AuditRow {
  seq: number;
  id: string;
  operation: string;
  key: string | null;
  write_id: string | null;
  actor: string | null;
  at: Date;
  mac_key_id: string | null;
  mac: string;
  versions: number[];
  sealed_by: number | null;
}

async function auditRows(): Promise<AuditRow[]> {
  return (await sql(
    `SELECT seq::int AS seq, id, operation, key, write_id, actor, at, mac_key_id, mac, versions,
            sealed_by::int AS sealed_by
     FROM secret_audit_log ORDER BY seq`,
  )) as AuditRow[];
}

async function checkpointSeqs(): Promise<number[]> {
  return ((await sql('SELECT seq::int AS seq FROM secret_audit_checkpoints ORDER BY seq')) as { seq: number }[]).map(
    ({ seq }) => seq,
  );
}

/** What a record's MAC covers. */
function entryText(entry: Pick<AuditRow, 'id' | 'operation' | 'key' | 'write_id' | 'actor' | 'at'>): string {
  const { id, operation, key, write_id, actor, at } = entry;
  return JSON.stringify(['record', 1, id, operation, key, write_id, actor, at.toISOString()]);
}

/** The MAC of `text` under the audit key derived from `keyBase64`. */
function keyedMac(keyBase64: string, text: string): string {
  const derived = Buffer.from(
    hkdfSync('sha256', Buffer.from(keyBase64, 'base64'), Buffer.alloc(0), '@kongflow/secretstore audit v1', 32),
  );
  return createHmac('sha256', derived).update(text, 'utf8').digest('base64');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Inserts a record as a writer of the table would: every field chosen by them, `sign` making its MAC. */
async function insertRecord(
  fields: { operation: string; key: string | null; actor: string | null; versions: number[]; sealedBy?: number },
  macKeyId: string | null,
  sign: (text: string) => string,
): Promise<number> {
  const entry = { id: randomUUID(), write_id: null, at: new Date(), ...fields };
  const [row] = (await sql(
    `INSERT INTO secret_audit_log (id, operation, key, write_id, actor, at, mac_key_id, mac, versions, sealed_by)
     VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8::int[], $9)
     RETURNING seq::int AS seq`,
    [
      entry.id,
      entry.operation,
      entry.key,
      entry.actor,
      entry.at,
      macKeyId,
      sign(entryText(entry)),
      entry.versions,
      fields.sealedBy ?? null,
    ],
  )) as { seq: number }[];
  return row.seq;
}

/**
 * Five records: [0] set t.a v1, [1] set t.b v1, [2] update-metadata t.a, [3] set t.a v2, [4] delete t.b.
 * [2] and [4] write no value, so that changing them leaves the checks of versions and values out of it.
 */
async function writeHistory(store: SecretStore, sealAfter: readonly number[] = []): Promise<AuditTrailHead[]> {
  const changes = [
    () => store.setSecret('t.a', { password: 'a1' }, { actor: 'alice' }),
    () => store.setSecret('t.b', { password: 'b1' }, { actor: 'alice' }),
    () => store.updateSecretMetadata('t.a', { description: 'the a password' }, { actor: 'bob' }),
    () => store.setSecret('t.a', { password: 'a2' }, { actor: 'alice' }),
    () => store.deleteSecret('t.b', { actor: 'carol' }),
  ];
  const heads: AuditTrailHead[] = [];
  for (const [index, change] of changes.entries()) {
    await change();
    if (sealAfter.includes(index)) heads.push(await store.sealAuditTrail());
  }
  return heads;
}

function expectProblem(verification: AuditTrailVerification, problem: Record<string, unknown>): void {
  expect(verification.ok).toBe(false);
  expect(verification.firstProblem).toMatchObject(problem);
}

beforeEach(async () => {
  await testDatabase().reset();
});

describe('a record changed', () => {
  const changes: [string, number, string][] = [
    ['its actor', 2, "actor = 'mallory'"],
    ['its operation', 2, "operation = 'undelete'"],
    ['its key', 2, "key = 't.b'"],
    ['its time', 2, "at = at - interval '1 day'"],
    ['the write it names', 3, "write_id = 'forged'"],
  ];

  it.each(changes)('is reported as record-altered, unsealed: %s', async (_, index, assignment) => {
    const store = storeWith();
    await writeHistory(store);
    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true, checked: 5 });
    const seq = (await auditRows())[index].seq;

    await sql(`UPDATE secret_audit_log SET ${assignment} WHERE seq = $1`, [seq]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'record-altered', seq });
  });

  it.each(changes)('is reported as sealed-records-changed, sealed: %s', async (_, index, assignment) => {
    const store = storeWith();
    const [head] = await writeHistory(store, [4]);
    const seq = (await auditRows())[index].seq;

    await sql(`UPDATE secret_audit_log SET ${assignment} WHERE seq = $1`, [seq]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });

  // The MAC of a record covers what the store chose; the versions are the database's, covered once sealed.
  it("is not detected when only an unsealed record's versions are changed (a limit), and is once sealed", async () => {
    const store = storeWith();
    await writeHistory(store);
    const seq = (await auditRows())[2].seq;
    await sql("UPDATE secret_audit_log SET versions = '{7}' WHERE seq = $1", [seq]);

    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true });

    const head = await store.sealAuditTrail();
    await sql("UPDATE secret_audit_log SET versions = '{1}' WHERE seq = $1", [seq]);
    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });
});

describe('sealed records removed, reordered, unmarked or added', () => {
  it.each([
    ['a record that writes no value', 2],
    ['the record of the latest write of a value', 3],
  ])('reports %s deleted as sealed-records-changed', async (_, index) => {
    const store = storeWith();
    const [head] = await writeHistory(store, [4]);

    await sql('DELETE FROM secret_audit_log WHERE seq = $1', [(await auditRows())[index].seq]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });

  it('reports two records whose positions were swapped as sealed-records-changed', async () => {
    const store = storeWith();
    const [head] = await writeHistory(store, [4]);
    const rows = await auditRows();
    const [first, second] = [rows[1].seq, rows[2].seq];

    await sql('UPDATE secret_audit_log SET seq = -1 WHERE seq = $1', [first]);
    await sql('UPDATE secret_audit_log SET seq = $1 WHERE seq = $2', [first, second]);
    await sql('UPDATE secret_audit_log SET seq = $1 WHERE seq = -1', [second]);
    expect((await auditRows()).map(({ operation }) => operation)).toEqual([
      'set',
      'update-metadata',
      'set',
      'set',
      'delete',
    ]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });

  it('reports a sealed record marked unsealed again as sealed-records-changed, though its own MAC holds', async () => {
    const store = storeWith();
    const [head] = await writeHistory(store, [4]);

    await sql('UPDATE secret_audit_log SET sealed_by = NULL WHERE seq = $1', [(await auditRows())[2].seq]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });

  it('reports a record added to a checkpoint as sealed-records-changed', async () => {
    const store = storeWith();
    const [head] = await writeHistory(store, [4]);

    await insertRecord(
      { operation: 'update-metadata', key: 't.a', actor: 'alice', versions: [2], sealedBy: head.checkpoint },
      'k1',
      (text) => keyedMac(randomBytes(32).toString('base64'), text),
    );

    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });
});

describe('records inserted without the keyring', () => {
  it('signs records as this file does, so that only the key differs in what follows', async () => {
    await writeHistory(storeWith());
    const rows = await auditRows();
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.mac_key_id).toBe('k1');
      expect(row.mac).toBe(keyedMac(k1, entryText(row)));
    }
  });

  it.each<[string, string, string | null, (text: string) => string]>([
    ['a made-up MAC', 'record-altered', 'k1', () => randomBytes(32).toString('base64')],
    ['a MAC under another key, labelled k1', 'record-altered', 'k1', (text) => keyedMac(generateEncryptionKey(), text)],
    [
      'a MAC under a key id the keyring lacks',
      'record-unverifiable',
      'k9',
      (text) => keyedMac(generateEncryptionKey(), text),
    ],
    ['a plain SHA-256, as a store without a keyring makes', 'record-unverifiable', null, sha256],
  ])('reports a record with %s as %s', async (_, kind, macKeyId, sign) => {
    const store = storeWith();
    await writeHistory(store);
    const copied = (await auditRows())[2];

    const seq = await insertRecord(
      { operation: copied.operation, key: copied.key, actor: 'alice', versions: copied.versions },
      macKeyId,
      sign,
    );

    expectProblem(await store.verifyAuditTrail(), { kind, seq, key: 't.a' });
  });

  it('reports the records of a store with another keyring as record-unverifiable', async () => {
    const store = storeWith();
    await writeHistory(store);
    const other = storeWith({ encryption: parseEncryptionKeys(`k9:${generateEncryptionKey()}`) });
    await other.setSecret('t.other', { password: 'o1' });
    const seq = (await auditRows())[5].seq;

    expectProblem(await store.verifyAuditTrail(), { kind: 'record-unverifiable', seq, key: 't.other' });
    // And that store cannot check this one's records either.
    expectProblem(await other.verifyAuditTrail(), { kind: 'record-unverifiable', seq: (await auditRows())[0].seq });
  });
});

describe('checkpoints', () => {
  /** Three checkpoints: of records [0..1], [2..3] and [4]. */
  async function threeCheckpoints(store: SecretStore): Promise<{ heads: AuditTrailHead[]; seqs: number[] }> {
    const heads = await writeHistory(store, [1, 3, 4]);
    const seqs = await checkpointSeqs();
    expect(seqs).toEqual(heads.map(({ checkpoint }) => checkpoint));
    expect(await store.verifyAuditTrail({ head: heads[2] })).toMatchObject({ ok: true, unsealed: 0 });
    return { heads, seqs };
  }

  it('reports a checkpoint deleted from the middle, its records kept unsealed, as checkpoint-chain-broken', async () => {
    const store = storeWith();
    const { seqs } = await threeCheckpoints(store);

    await sql('UPDATE secret_audit_log SET sealed_by = NULL WHERE sealed_by = $1', [seqs[1]]);
    await sql('DELETE FROM secret_audit_checkpoints WHERE seq = $1', [seqs[1]]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'checkpoint-chain-broken', checkpoint: seqs[2] });
  });

  it('reports a checkpoint deleted from the middle with its records as checkpoint-chain-broken', async () => {
    const store = storeWith();
    const { seqs } = await threeCheckpoints(store);

    await sql('DELETE FROM secret_audit_log WHERE sealed_by = $1', [seqs[1]]);
    await sql('DELETE FROM secret_audit_checkpoints WHERE seq = $1', [seqs[1]]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'checkpoint-chain-broken', checkpoint: seqs[2] });
  });

  it.each([
    ['its digest', 'checkpoint-altered', "digest = 'x' || digest"],
    ['the number of records it seals', 'checkpoint-altered', 'records = records + 1'],
    ['the MAC it follows', 'checkpoint-chain-broken', "previous_mac = 'x' || previous_mac"],
    ['the key id it is signed under', 'checkpoint-unverifiable', "mac_key_id = 'k9'"],
  ])('reports a change of %s as %s', async (_, kind, assignment) => {
    const store = storeWith();
    const { seqs } = await threeCheckpoints(store);

    await sql(`UPDATE secret_audit_checkpoints SET ${assignment} WHERE seq = $1`, [seqs[1]]);

    expectProblem(await store.verifyAuditTrail(), { kind, checkpoint: seqs[1] });
  });

  it('reports the last checkpoint and its records removed only given a head kept from before (head-not-found)', async () => {
    const store = storeWith();
    const { heads, seqs } = await threeCheckpoints(store);

    await sql('DELETE FROM secret_audit_log WHERE sealed_by = $1', [seqs[2]]);
    await sql('DELETE FROM secret_audit_checkpoints WHERE seq = $1', [seqs[2]]);

    // Without a head, the trail that is left is a whole trail, one change shorter: removing the last
    // checkpoint with its records is not detectable from the database alone. A head kept outside it is.
    expect(await store.verifyAuditTrail()).toEqual({ ok: true, checked: 4, unsealed: 0, head: heads[1] });
    expectProblem(await store.verifyAuditTrail({ head: heads[2] }), { kind: 'head-not-found', checkpoint: seqs[2] });
    // A head from before the removal is still held.
    expect(await store.verifyAuditTrail({ head: heads[1] })).toMatchObject({ ok: true });
  });

  it('reports a head whose digest or count the trail does not hold as head-not-found', async () => {
    const store = storeWith();
    const { heads } = await threeCheckpoints(store);
    const [, , last] = heads;

    for (const head of [
      { ...last, digest: heads[1].digest },
      { ...last, records: last.records - 1 },
      { ...last, checkpoint: last.checkpoint + 1 },
    ]) {
      expectProblem(await store.verifyAuditTrail({ head }), { kind: 'head-not-found', checkpoint: head.checkpoint });
    }
  });

  it('refuses to seal after a tampered last checkpoint, sealing nothing', async () => {
    const store = storeWith();
    const { seqs } = await threeCheckpoints(store);
    await store.setSecret('t.c', { password: 'c1' });
    await sql("UPDATE secret_audit_checkpoints SET digest = 'x' || digest WHERE seq = $1", [seqs[2]]);

    await expectRejection(store.sealAuditTrail(), AuditTrailInvalidError, 'AUDIT_TRAIL_INVALID');

    expect(await checkpointSeqs()).toEqual(seqs);
    expect((await auditRows()).filter(({ sealed_by }) => sealed_by === null)).toHaveLength(1);
  });
});

describe('a rollback of a secret to an older value, with its ciphertext and write id', () => {
  const KEY = 'db.password';

  /** v1 "old-password", v2 "new-password"; another secret alongside. Seals after the versions in `sealAfter`. */
  async function twoVersions(store: SecretStore, sealAfter: readonly number[] = []): Promise<AuditTrailHead[]> {
    const heads: AuditTrailHead[] = [];
    await store.setSecret('db.user', { password: 'not this one' });
    for (const [index, password] of ['old-password', 'new-password'].entries()) {
      await store.setSecret(KEY, { password });
      if (sealAfter.includes(index + 1)) heads.push(await store.sealAuditTrail());
    }
    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true });
    return heads;
  }

  /** The current row becomes version 1 as it was written, and version 2 is gone: a consistent older state. */
  async function putBackVersion1(): Promise<void> {
    await sql(
      `UPDATE secret_store AS s
       SET value = v.value, version = v.version, write_id = v.write_id, key_id = v.key_id, encoding = v.encoding
       FROM secret_versions AS v
       WHERE s.key = $1 AND v.key = $1 AND v.version = 1`,
      [KEY],
    );
    await sql('DELETE FROM secret_versions WHERE key = $1 AND version = 2', [KEY]);
  }

  /** Version 2 stays version 2, in both tables, but with version 1's ciphertext and write id. */
  async function copyVersion1OntoVersion2(): Promise<void> {
    await sql(
      `UPDATE secret_store AS s
       SET value = v.value, write_id = v.write_id, key_id = v.key_id, encoding = v.encoding
       FROM secret_versions AS v
       WHERE s.key = $1 AND v.key = $1 AND v.version = 1`,
      [KEY],
    );
    await sql(
      `UPDATE secret_versions AS n
       SET value = o.value, write_id = o.write_id, key_id = o.key_id, encoding = o.encoding
       FROM secret_versions AS o
       WHERE n.key = $1 AND n.version = 2 AND o.key = $1 AND o.version = 1`,
      [KEY],
    );
  }

  async function deleteRecordOfVersion2(): Promise<void> {
    await sql("DELETE FROM secret_audit_log WHERE key = $1 AND operation = 'set' AND versions = '{2}'", [KEY]);
  }

  it.each([
    ['putting version 1 back as the current version', putBackVersion1, 1],
    ["writing version 1's ciphertext over version 2", copyVersion1OntoVersion2, 2],
  ])('reads the old value, and is reported as value-not-audited, after %s', async (_, rollBack, version) => {
    const store = storeWith();
    await twoVersions(store);

    await rollBack();

    // The ciphertext is bound to the key and to its write, and both came along: it decrypts.
    expect(await store.getSecretWithMetadata(Password, KEY)).toMatchObject({
      value: { password: 'old-password' },
      version,
    });
    expectProblem(await store.verifyAuditTrail(), { kind: 'value-not-audited', key: KEY });
  });

  it('is reported as sealed-records-changed when the newer record was sealed and is deleted too', async () => {
    const store = storeWith();
    const [head] = await twoVersions(store, [2]);

    await putBackVersion1();
    await deleteRecordOfVersion2();

    expect(await store.getSecret(Password, KEY)).toEqual({ password: 'old-password' });
    expectProblem(await store.verifyAuditTrail(), { kind: 'sealed-records-changed', checkpoint: head.checkpoint });
  });

  it('is not detected when the last checkpoint is removed with the newer record, unless a head was kept', async () => {
    const store = storeWith();
    const [before, after] = await twoVersions(store, [1, 2]);

    await putBackVersion1();
    await sql('DELETE FROM secret_audit_log WHERE sealed_by = $1', [after.checkpoint]);
    await sql('DELETE FROM secret_audit_checkpoints WHERE seq = $1', [after.checkpoint]);

    expect(await store.getSecret(Password, KEY)).toEqual({ password: 'old-password' });
    expect(await store.verifyAuditTrail()).toEqual({ ok: true, checked: 2, unsealed: 0, head: before });
    expectProblem(await store.verifyAuditTrail({ head: after }), {
      kind: 'head-not-found',
      checkpoint: after.checkpoint,
    });
  });

  it('is not detected, even with a kept head, when the newer record was never sealed and is deleted too', async () => {
    const store = storeWith();
    const [head] = await twoVersions(store, [1]);

    await putBackVersion1();
    await deleteRecordOfVersion2();

    expect(await store.getSecret(Password, KEY)).toEqual({ password: 'old-password' });
    // A head vouches for sealed records only: unsealed ones can go, and the trail still ends where it did.
    expect(await store.verifyAuditTrail({ head })).toEqual({ ok: true, checked: 2, unsealed: 0, head });
  });
});

describe("a store with encryption 'none'", () => {
  const none = (): SecretStore => storeWith({ encryption: 'none' });

  it('keeps a plain hash chain: every record and checkpoint a SHA-256, and the trail verifies', async () => {
    const store = none();
    await writeHistory(store);

    const rows = await auditRows();
    for (const row of rows) {
      expect(row.mac_key_id).toBeNull();
      expect(row.mac).toBe(sha256(entryText(row)));
    }
    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true, checked: 5, unsealed: 5 });

    const head = await store.sealAuditTrail();
    expect(await sql('SELECT mac_key_id FROM secret_audit_checkpoints')).toEqual([{ mac_key_id: null }]);
    expect(await store.verifyAuditTrail({ head })).toMatchObject({ ok: true, checked: 5, unsealed: 0 });
  });

  it('reports a record whose hash does not match as record-altered', async () => {
    const store = none();
    await writeHistory(store);
    const seq = (await auditRows())[2].seq;

    await sql("UPDATE secret_audit_log SET actor = 'mallory' WHERE seq = $1", [seq]);

    expectProblem(await store.verifyAuditTrail(), { kind: 'record-altered', seq });
  });

  // The documented limit of a trail without a keyring: anyone who can write the table can compute a SHA-256.
  it('does NOT detect a record forged with a correct SHA-256, and seals it (the documented limit)', async () => {
    const store = none();
    await writeHistory(store);

    const seq = await insertRecord(
      { operation: 'update-metadata', key: 't.a', actor: 'mallory', versions: [2] },
      null,
      sha256,
    );

    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true, checked: 6, unsealed: 6 });
    const head = await store.sealAuditTrail();
    expect(await store.verifyAuditTrail({ head })).toMatchObject({ ok: true, checked: 6, unsealed: 0 });
    expect((await store.readAuditTrail()).records.find((record) => record.seq === seq)).toMatchObject({
      actor: 'mallory',
      checkpoint: head.checkpoint,
    });
  });

  it('leaves a trail a store with a keyring reports as unverifiable, and refuses to seal', async () => {
    await writeHistory(none());
    const keyring = storeWith();
    const [first] = await auditRows();

    expectProblem(await keyring.verifyAuditTrail(), { kind: 'record-unverifiable', seq: first.seq });
    await expectRejection(keyring.sealAuditTrail(), AuditTrailInvalidError, 'AUDIT_TRAIL_INVALID');
    expect(await checkpointSeqs()).toEqual([]);

    const [checkpoint] = [(await none().sealAuditTrail()).checkpoint];
    expectProblem(await keyring.verifyAuditTrail(), { kind: 'checkpoint-unverifiable', checkpoint });
  });
});
