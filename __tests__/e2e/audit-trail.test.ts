/**
 * The audit trail on the real stack: one record per change, committed with that change and never holding a
 * value; reading it page by page; verifying and sealing a trail nobody touched; sealing while writers run.
 * What tampering verifyAuditTrail finds is in audit-tampering.test.ts.
 */
import { z } from 'zod';

import {
  AuditTrailInvalidError,
  generateEncryptionKey,
  InvalidArgumentError,
  InvalidSecretKeyError,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretNotFoundError,
  SecretStore,
  SecretVersionConflictError,
  SecretVersionNotFoundError,
  type AuditTrailRecord,
  type SecretStoreOptions,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { auditRows as auditRowsOf, lastAuditSeq, type AuditRow } from '../support/audit-tables';
import { codeOf, expectRejection } from '../support/errors';

const testDatabase = useTestDatabase();

const k1 = generateEncryptionKey();
const k2 = generateEncryptionKey();
const Token = z.object({ token: z.string() });

/** A store over the harness database with keyring k1, unless `options` says otherwise. */
function storeWith(options: SecretStoreOptions = {}): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: parseEncryptionKeys(`k1:${k1}`),
    ...options,
  });
}

function auditRows(afterSeq = 0): Promise<AuditRow[]> {
  return auditRowsOf(testDatabase().database, afterSeq);
}

function lastSeq(): Promise<number> {
  return lastAuditSeq(testDatabase().database);
}

/** The records `change` appended, checking that each was made while it ran. */
async function appendedBy(change: () => Promise<unknown>): Promise<AuditRow[]> {
  const before = await lastSeq();
  const started = Date.now();
  await change();
  const ended = Date.now();
  const appended = await auditRows(before);
  for (const { at } of appended) {
    expect(at.getTime()).toBeGreaterThanOrEqual(started);
    expect(at.getTime()).toBeLessThanOrEqual(ended);
  }
  return appended;
}

/** What a record says happened, ordered by key where one change makes several. */
function summaries(rows: readonly AuditRow[]) {
  return rows
    .map(({ operation, key, versions, keys, actor }) => ({ operation, key, versions, keys, actor }))
    .sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
}

/** The write id of a kept version, as secret_versions holds it. */
async function writeIdOf(key: string, version: number): Promise<string | null> {
  const { rows } = await testDatabase().database.query(
    'SELECT write_id FROM secret_versions WHERE key = $1 AND version = $2',
    [key, version],
  );
  return (rows[0] as { write_id: string | null }).write_id;
}

async function tableText(table: 'secret_audit_log' | 'secret_audit_checkpoints' | 'secret_store'): Promise<string> {
  const { rows } = await testDatabase().database.query(
    `SELECT coalesce(string_agg(t::text, E'\\n'), '') AS text FROM ${table} AS t`,
    [],
  );
  return (rows[0] as { text: string }).text;
}

async function countOf(table: string, where = 'true'): Promise<number> {
  const { rows } = await testDatabase().database.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, []);
  return (rows[0] as { n: number }).n;
}

beforeEach(async () => {
  await testDatabase().reset();
});

describe('one record per change', () => {
  it('records every kind of change once: operation, key, versions or keys, actor and time', async () => {
    const store = storeWith();

    const set = await appendedBy(() => store.setSecret('app.a', { token: 'a1' }, { actor: 'alice' }));
    expect(summaries(set)).toEqual([{ operation: 'set', key: 'app.a', versions: [1], keys: [], actor: 'alice' }]);
    expect(set[0]).toMatchObject({ write_id: await writeIdOf('app.a', 1), mac_key_id: 'k1', sealed_by: null });
    expect(set[0].write_id).toEqual(expect.any(String));

    const setMany = await appendedBy(() =>
      store.setSecrets(
        [
          { key: 'app.c', value: { token: 'c1' } },
          { key: 'app.a', value: { token: 'a2' } },
          { key: 'app.b', value: { token: 'b1' } },
        ],
        { actor: 'bob' },
      ),
    );
    expect(summaries(setMany)).toEqual([
      { operation: 'set-many', key: 'app.a', versions: [2], keys: [], actor: 'bob' },
      { operation: 'set-many', key: 'app.b', versions: [1], keys: [], actor: 'bob' },
      { operation: 'set-many', key: 'app.c', versions: [1], keys: [], actor: 'bob' },
    ]);
    for (const row of setMany) expect(row.write_id).toBe(await writeIdOf(row.key as string, row.versions[0]));

    const restore = await appendedBy(() => store.restoreSecretVersion('app.a', 1, { actor: 'carol' }));
    expect(summaries(restore)).toEqual([
      { operation: 'restore', key: 'app.a', versions: [3], keys: [], actor: 'carol' },
    ]);
    // A restore is a write of its own: bound to a new write id, not to the one of the version it copies.
    expect(restore[0].write_id).toBe(await writeIdOf('app.a', 3));
    expect(restore[0].write_id).not.toBe(set[0].write_id);

    const metadata = await appendedBy(() =>
      store.updateSecretMetadata('app.a', { description: 'the a token' }, { actor: 'dave' }),
    );
    expect(summaries(metadata)).toEqual([
      { operation: 'update-metadata', key: 'app.a', versions: [3], keys: [], actor: 'dave' },
    ]);

    const deleted = await appendedBy(() => store.deleteSecret('app.b', { actor: 'erin' }));
    expect(summaries(deleted)).toEqual([{ operation: 'delete', key: 'app.b', versions: [1], keys: [], actor: 'erin' }]);

    // The actor of withActor, for a call that names none.
    const undeleted = await appendedBy(() => store.withActor('frank', () => store.undeleteSecret('app.b')));
    expect(summaries(undeleted)).toEqual([
      { operation: 'undelete', key: 'app.b', versions: [1], keys: [], actor: 'frank' },
    ]);

    const destroyed = await appendedBy(() => store.destroySecret('app.a', { versions: [2, 1], actor: 'gina' }));
    expect(summaries(destroyed)).toEqual([
      { operation: 'destroy', key: 'app.a', versions: [1, 2], keys: [], actor: 'gina' },
    ]);

    await store.deleteSecret('app.c');
    const purged = await appendedBy(() => store.purgeDeletedSecrets({ olderThan: 0, actor: 'hank' }));
    expect(summaries(purged)).toEqual([
      { operation: 'purge', key: null, versions: [], keys: ['app.c'], actor: 'hank' },
    ]);

    const destroyedAll = await appendedBy(() => store.destroySecret('app.b'));
    expect(summaries(destroyedAll)).toEqual([
      { operation: 'destroy', key: 'app.b', versions: [1], keys: [], actor: null },
    ]);

    // Rotation records each version it re-encrypts: here the one kept version with a value left.
    const rotating = storeWith({ encryption: parseEncryptionKeys(`k2:${k2},k1:${k1}`) });
    const rotated = await appendedBy(() => rotating.rotateEncryptionKeys({ actor: 'rotation-job' }));
    expect(summaries(rotated)).toEqual([
      { operation: 'rotate', key: 'app.a', versions: [3], keys: [], actor: 'rotation-job' },
    ]);
    expect(rotated[0]).toMatchObject({ write_id: await writeIdOf('app.a', 3), mac_key_id: 'k2' });

    expect(await rotating.verifyAuditTrail()).toMatchObject({ ok: true, checked: 13, unsealed: 0 });
  });

  it('appends nothing for a call that changes nothing', async () => {
    const store = storeWith({ encryption: parseEncryptionKeys(`k1:${k1}`) });
    await store.setSecret('noop.a', { token: 'a1' });
    await store.setSecret('noop.a', { token: 'a2' });
    const before = await lastSeq();

    expect(await store.deleteSecret('noop.missing')).toBe(false);
    expect(await store.undeleteSecret('noop.a')).toBe(false);
    await expectRejection(
      store.setSecret('noop.a', { token: 'x' }, { ifVersion: 1 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    await expectRejection(
      store.setSecret('noop.a', { token: 'x' }, { ifVersion: 0 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    await expectRejection(
      store.restoreSecretVersion('noop.a', 1, { ifVersion: 1 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    await expectRejection(
      store.restoreSecretVersion('noop.a', 7),
      SecretVersionNotFoundError,
      'SECRET_VERSION_NOT_FOUND',
    );
    await expectRejection(
      store.updateSecretMetadata('noop.a', { description: 'x' }, { ifVersion: 1 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    await expectRejection(
      store.updateSecretMetadata('noop.missing', { description: 'x' }),
      SecretNotFoundError,
      'SECRET_NOT_FOUND',
    );
    expect(await store.destroySecret('noop.a', { versions: [9] })).toEqual({ destroyed: [] });
    expect(await store.destroySecret('noop.missing')).toEqual({ destroyed: [] });
    expect(await store.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: [] });
    expect(await store.setSecrets([])).toEqual([]);
    // Reads are not audited unless the store is built with auditReads.
    expect(await store.getSecret(Token, 'noop.a')).toEqual({ token: 'a2' });
    // Nothing under another key: rotation re-encrypts nothing and records nothing.
    expect(await store.rotateEncryptionKeys()).toMatchObject({ scanned: 0 });

    expect(await auditRows(before)).toEqual([]);
  });

  it('commits each record with its change: a change whose record cannot be written does not happen', async () => {
    const store = storeWith();
    await store.setSecret('tx.kept', { token: 'k1' });
    const { database } = testDatabase();
    // A refusal inside the database, as a full disk or a lost connection would be, for one actor only.
    await database.query(
      `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.actor = 'refused' THEN RAISE EXCEPTION 'audit record refused'; END IF;
         RETURN NEW;
       END $$`,
      [],
    );
    await database.query(
      'CREATE TRIGGER refuse_audit BEFORE INSERT ON secret_audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()',
      [],
    );
    try {
      const table = () => tableText('secret_store');
      const before = { table: await table(), versions: await countOf('secret_versions'), seq: await lastSeq() };
      const refused = { actor: 'refused' };

      const failures = [
        await store.setSecret('tx.new', { token: 'n1' }, refused).catch(codeOf),
        await store.setSecret('tx.kept', { token: 'k2' }, refused).catch(codeOf),
        await store.setSecrets([{ key: 'tx.many', value: { token: 'm1' } }], refused).catch(codeOf),
        await store.deleteSecret('tx.kept', refused).catch(codeOf),
        await store.updateSecretMetadata('tx.kept', { description: 'x' }, refused).catch(codeOf),
        await store.destroySecret('tx.kept', { versions: [1], ...refused }).catch(codeOf),
      ];

      expect(failures).toEqual(Array(failures.length).fill('DATABASE_ERROR'));
      expect(await table()).toBe(before.table);
      expect(await countOf('secret_versions')).toBe(before.versions);
      expect(await lastSeq()).toBe(before.seq);
      expect(await store.getSecret(Token, 'tx.kept')).toEqual({ token: 'k1' });
    } finally {
      await database.query('DROP TRIGGER refuse_audit ON secret_audit_log', []);
      await database.query('DROP FUNCTION refuse_audit()', []);
    }

    // And the other way round: a transaction rolled back takes the records of its changes with it.
    const before = await lastSeq();
    const rollback = new Error('roll back');
    await expect(
      store.transaction(async (tx) => {
        await tx.setSecret('tx.rolled', { token: 'r1' });
        await tx.deleteSecret('tx.kept');
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await auditRows(before)).toEqual([]);
    expect(await store.getSecret(Token, 'tx.kept')).toEqual({ token: 'k1' });
  });

  it.each<[string, () => SecretStoreOptions]>([
    ['an encrypting store', () => ({})],
    ["a store with encryption 'none'", () => ({ encryption: 'none' })],
  ])('never holds a value, in %s', async (_, options) => {
    const store = storeWith({ ...options(), auditReads: true });
    const marker = (n: number) => ({ token: `audit-plaintext-marker-${n}` });

    await store.setSecret('leak.a', marker(1), { actor: 'alice', metadata: { description: 'not secret' } });
    await store.setSecrets([
      { key: 'leak.a', value: marker(2) },
      { key: 'leak.b', value: marker(3) },
    ]);
    await store.restoreSecretVersion('leak.a', 1);
    await store.getSecret(Token, 'leak.a');
    await store.getSecretVersion(Token, 'leak.a', 2);
    await store.getSecrets(Token, 'leak.');
    await store.deleteSecret('leak.b');
    await store.purgeDeletedSecrets({ olderThan: 0 });
    await store.sealAuditTrail();
    await store.setSecret('leak.c', marker(4));

    const trail = [
      await tableText('secret_audit_log'),
      await tableText('secret_audit_checkpoints'),
      JSON.stringify(await store.readAuditTrail()),
    ].join('\n');
    expect(trail).toContain('leak.a');
    expect(trail).toContain('"read"');
    expect(trail).not.toContain('audit-plaintext-marker');
    expect(trail).not.toContain('not secret');
    // The same scan finds the plaintext where it is: the table of a store that does not encrypt.
    expect((await tableText('secret_store')).includes('audit-plaintext-marker')).toBe(options().encryption === 'none');
  });
});

describe('readAuditTrail', () => {
  /** Seven records: a and b written in turn, a four times. */
  async function writeInTurn(store: SecretStore): Promise<void> {
    for (let n = 1; n <= 7; n++) {
      await store.setSecret(n % 2 === 1 ? 'page.a' : 'page.b', { token: `t${n}` }, { actor: `writer-${n}` });
    }
  }

  /** Every page of `options`, following `next`, at most 20 pages. */
  async function allPages(store: SecretStore, options: { key?: string; limit: number }) {
    const pages: AuditTrailRecord[][] = [];
    let after = 0;
    for (let page = 0; page < 20; page++) {
      const { records, next } = await store.readAuditTrail({ ...options, after });
      pages.push(records);
      if (next === undefined) return pages;
      expect(next).toBe(records[records.length - 1].seq);
      after = next;
    }
    throw new Error('readAuditTrail kept returning next');
  }

  it('reads the whole trail oldest first, showing no MAC, no write id and no value', async () => {
    const store = storeWith();
    await writeInTurn(store);

    const { records, next } = await store.readAuditTrail();

    expect(next).toBeUndefined();
    const rows = await auditRows();
    expect(records).toEqual(
      rows.map((row, n) => ({
        seq: row.seq,
        operation: 'set',
        key: n % 2 === 0 ? 'page.a' : 'page.b',
        versions: [Math.floor(n / 2) + 1],
        keys: [],
        actor: `writer-${n + 1}`,
        at: row.at,
        checkpoint: null,
      })),
    );
    expect(Object.keys(records[0]).sort()).toEqual([
      'actor',
      'at',
      'checkpoint',
      'key',
      'keys',
      'operation',
      'seq',
      'versions',
    ]);
  });

  it('pages with limit and after, `next` naming the last record of every page but the last', async () => {
    const store = storeWith();
    await writeInTurn(store);
    const whole = (await store.readAuditTrail()).records;

    const byThree = await allPages(store, { limit: 3 });
    expect(byThree.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(byThree.flat()).toEqual(whole);

    // A page that ends exactly at the last record says so: no `next`, no empty page after it.
    expect(await allPages(store, { limit: 7 })).toEqual([whole]);
    expect((await store.readAuditTrail({ limit: 6 })).next).toBe(whole[5].seq);
    expect(await store.readAuditTrail({ after: whole[6].seq })).toEqual({ records: [] });
  });

  it("filters by key, paging within that key's records", async () => {
    const store = storeWith();
    await writeInTurn(store);
    const whole = (await store.readAuditTrail()).records;
    const ofA = whole.filter(({ key }) => key === 'page.a');

    const pages = await allPages(store, { key: 'page.a', limit: 2 });
    expect(pages).toEqual([ofA.slice(0, 2), ofA.slice(2)]);
    // `after` may be any position, also one of another key's records.
    expect((await store.readAuditTrail({ key: 'page.a', after: whole[1].seq })).records).toEqual(ofA.slice(1));
    expect(await store.readAuditTrail({ key: 'page.none' })).toEqual({ records: [] });
  });

  it('shows the checkpoint that seals each record once the trail is sealed', async () => {
    const store = storeWith();
    await writeInTurn(store);
    const first = await store.sealAuditTrail();
    await store.setSecret('page.c', { token: 'c' });

    const { records } = await store.readAuditTrail();

    expect(records.map(({ checkpoint }) => checkpoint)).toEqual([...Array<number>(7).fill(first.checkpoint), null]);
  });

  it.each<[string, object]>([
    ['limit 0', { limit: 0 }],
    ['limit 10,001', { limit: 10_001 }],
    ['a negative after', { after: -1 }],
    ['a fractional after', { after: 1.5 }],
  ])('refuses %s with InvalidArgumentError', async (_, options) => {
    await expectRejection(storeWith().readAuditTrail(options), InvalidArgumentError, 'INVALID_ARGUMENT');
  });

  it('refuses a key filter that is not a valid key with InvalidSecretKeyError', async () => {
    await expectRejection(storeWith().readAuditTrail({ key: '' }), InvalidSecretKeyError, 'INVALID_SECRET_KEY');
  });
});

describe('verifyAuditTrail and sealAuditTrail on an untouched trail', () => {
  it('verifies an empty trail', async () => {
    expect(await storeWith().verifyAuditTrail()).toEqual({
      ok: true,
      checked: 0,
      unsealed: 0,
      head: { checkpoint: 0, records: 0, digest: '' },
    });
  });

  it('verifies every record before and after sealing, and holds every head it gave', async () => {
    const store = storeWith();
    await store.setSecret('v.a', { token: 'a1' });
    await store.setSecrets([
      { key: 'v.a', value: { token: 'a2' } },
      { key: 'v.b', value: { token: 'b1' } },
    ]);
    await store.updateSecretMetadata('v.b', { tags: { team: 'core' } });
    await store.deleteSecret('v.b');

    expect(await store.verifyAuditTrail()).toEqual({
      ok: true,
      checked: 5,
      unsealed: 5,
      head: { checkpoint: 0, records: 0, digest: '' },
    });

    const first = await store.sealAuditTrail();
    const [checkpoint] = (
      await testDatabase().database.query(
        'SELECT seq::int AS seq, records, mac_key_id FROM secret_audit_checkpoints',
        [],
      )
    ).rows;
    expect(checkpoint).toEqual({ seq: first.checkpoint, records: 5, mac_key_id: 'k1' });
    expect(first).toEqual({
      checkpoint: first.checkpoint,
      records: 5,
      digest: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) as unknown,
    });
    expect(await countOf('secret_audit_log', 'sealed_by IS NULL')).toBe(0);
    expect(await store.verifyAuditTrail()).toEqual({ ok: true, checked: 5, unsealed: 0, head: first });
    expect(await store.verifyAuditTrail({ head: first })).toMatchObject({ ok: true });

    // Nothing new: the same head, and no empty checkpoint.
    expect(await store.sealAuditTrail()).toEqual(first);
    expect(await countOf('secret_audit_checkpoints')).toBe(1);

    await store.undeleteSecret('v.b');
    await store.restoreSecretVersion('v.a', 1);
    expect(await store.verifyAuditTrail({ head: first })).toEqual({ ok: true, checked: 7, unsealed: 2, head: first });

    const second = await store.sealAuditTrail();
    expect(second.checkpoint).toBeGreaterThan(first.checkpoint);
    expect(second.records).toBe(7);
    expect(second.digest).not.toBe(first.digest);
    // An older head stays held as the trail grows.
    expect(await store.verifyAuditTrail({ head: first })).toEqual({ ok: true, checked: 7, unsealed: 0, head: second });
    expect(await store.verifyAuditTrail({ head: second })).toMatchObject({ ok: true });
    // Another store with the same keyring verifies it too: nothing depends on the store that sealed.
    expect(await storeWith().verifyAuditTrail({ head: second })).toMatchObject({ ok: true, checked: 7 });
  });

  it('refuses a head that is not one sealAuditTrail gives, with InvalidArgumentError', async () => {
    const store = storeWith();
    for (const head of [{ checkpoint: -1, records: 0, digest: '' }, { checkpoint: 1, records: 0 }, 'head']) {
      await expectRejection(store.verifyAuditTrail({ head: head as never }), InvalidArgumentError, 'INVALID_ARGUMENT');
    }
  });
});

describe('sealAuditTrail while writers run', () => {
  it('seals every record exactly once, and the trail verifies', async () => {
    const WRITERS = 4;
    const WRITES = 12;
    const MAX_SEALS = 200;
    const store = storeWith();
    // Two sealers of their own, as two instances of a service would be.
    const sealers = [storeWith(), storeWith()];

    let writing = true;
    const writer = async (w: number): Promise<void> => {
      for (let n = 0; n < WRITES; n++) {
        const key = `conc.${w}.${n % 3}`;
        if (n % 4 === 3) await store.deleteSecret(key);
        else await store.setSecret(key, { token: `${w}-${n}` }, { actor: `writer-${w}` });
      }
    };
    const sealing = async (sealer: SecretStore): Promise<number[]> => {
      const sealed: number[] = [];
      for (let round = 0; writing && round < MAX_SEALS; round++) sealed.push((await sealer.sealAuditTrail()).records);
      return sealed;
    };
    const sealersDone = sealers.map(sealing);
    try {
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    } finally {
      writing = false;
    }
    const sealedCounts = await Promise.all(sealersDone);
    const head = await store.sealAuditTrail();

    // What each sealer saw sealed only grew.
    for (const counts of sealedCounts) {
      expect(counts.length).toBeGreaterThan(0);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    }
    const total = WRITERS * WRITES;
    expect(await lastSeq()).toBeGreaterThanOrEqual(total);
    expect(await countOf('secret_audit_log')).toBe(total);
    expect(head.records).toBe(total);
    expect(await countOf('secret_audit_log', 'sealed_by IS NULL')).toBe(0);
    // Every checkpoint seals as many records as it says: none counted twice, none left out.
    const { rows } = await testDatabase().database.query(
      `SELECT c.seq::int AS seq, c.records, (SELECT count(*)::int FROM secret_audit_log l WHERE l.sealed_by = c.seq) AS found
       FROM secret_audit_checkpoints c ORDER BY c.seq`,
      [],
    );
    const checkpoints = rows as { seq: number; records: number; found: number }[];
    expect(checkpoints.every(({ records, found }) => records === found && records > 0)).toBe(true);
    expect(checkpoints.reduce((sum, { records }) => sum + records, 0)).toBe(total);

    expect(await store.verifyAuditTrail({ head })).toEqual({ ok: true, checked: total, unsealed: 0, head });
  }, 60_000);

  it('refuses to seal a trail with a tampered unsealed record, sealing nothing', async () => {
    const store = storeWith();
    for (let n = 1; n <= 3; n++) await store.setSecret(`seal.${n}`, { token: `t${n}` }, { actor: 'alice' });
    const [, middle] = await auditRows();
    const { database } = testDatabase();
    await database.query("UPDATE secret_audit_log SET actor = 'mallory' WHERE seq = $1", [middle.seq]);

    const error = await expectRejection(store.sealAuditTrail(), AuditTrailInvalidError, 'AUDIT_TRAIL_INVALID');

    expect(error.problem).toContain(`record ${middle.seq}`);
    expect(await countOf('secret_audit_checkpoints')).toBe(0);
    expect(await countOf('secret_audit_log', 'sealed_by IS NOT NULL')).toBe(0);

    // Put back as it was, the record seals: the refusal was the tampering's.
    await database.query("UPDATE secret_audit_log SET actor = 'alice' WHERE seq = $1", [middle.seq]);
    expect(await store.sealAuditTrail()).toMatchObject({ records: 3 });
  });
});
