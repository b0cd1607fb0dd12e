/**
 * Key rotation on the real stack: re-encryption from k1 to k2 while writers run, skipped versions, resuming an
 * interrupted run, and versions that cannot be read or rewritten in time.
 */
import { z } from 'zod';

import { Client } from 'pg';

import {
  DatabaseUnavailableError,
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  type RotationResult,
  SecretStore,
  type SecretStoreRepository,
  type SecretVersionRecord,
} from '../../src';
import { createPool } from '../../src/database/pool';
import { useTestDatabase } from '../harness/database';
import { auditRows, checkpointRows, type AuditRow } from '../support/audit-tables';

const testDatabase = useTestDatabase();

const k0 = generateEncryptionKey();
const k1 = generateEncryptionKey();
const k2 = generateEncryptionKey();

const Seeded = z.object({ seed: z.number(), token: z.string() });
const Written = z.union([Seeded, z.object({ writer: z.number(), n: z.number(), key: z.string() })]);
type WrittenValue = z.infer<typeof Written>;

function repository(): PostgresSecretStoreRepository {
  return new PostgresSecretStoreRepository(testDatabase().handle);
}

/** A store over `over` (the harness database unless given) with keyring `spec` (id:<base64>,…; first active). */
function storeWith(spec: string, over: SecretStoreRepository = repository()): SecretStore {
  return new SecretStore(over, { encryption: parseEncryptionKeys(spec) });
}

const onlyK1 = () => storeWith(`k1:${k1}`);
const k2ThenK1 = () => storeWith(`k2:${k2},k1:${k1}`);
const onlyK2 = () => storeWith(`k2:${k2}`);

/** The harness repository, with listVersionsToRotate and reencryptVersion wrapped by `around` (each optional). */
function repositoryAround(around: {
  list?: (batch: SecretVersionRecord[]) => Promise<void>;
  reencrypt?: (rewrite: () => Promise<boolean>) => Promise<boolean>;
}): SecretStoreRepository {
  return new (class extends PostgresSecretStoreRepository {
    override async listVersionsToRotate(
      activeKeyId: string,
      after: { key: string; version: number },
      limit: number,
    ): Promise<SecretVersionRecord[]> {
      const batch = await super.listVersionsToRotate(activeKeyId, after, limit);
      await around.list?.(batch);
      return batch;
    }

    override reencryptVersion(...args: Parameters<SecretStoreRepository['reencryptVersion']>): Promise<boolean> {
      const rewrite = () => super.reencryptVersion(...args);
      return around.reencrypt ? around.reencrypt(rewrite) : rewrite();
    }
  })(testDatabase().handle);
}

interface RowState {
  key: string;
  encoding: string;
  key_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  value: string;
}

/** Current rows as stored, timestamps as text so that microseconds count. */
async function rows(keys?: readonly string[]): Promise<RowState[]> {
  const { rows: found } = await testDatabase().database.query(
    `SELECT key, encoding, key_id, version, created_at::text AS created_at, updated_at::text AS updated_at,
            value::text AS value
     FROM secret_store
     WHERE $1::text[] IS NULL OR key = ANY($1::text[])
     ORDER BY key`,
    [keys ? [...keys] : null],
  );
  return found as RowState[];
}

/** How many kept versions with a value are under each encoding and key id. */
async function encodings(): Promise<{ encoding: string; key_id: string | null; n: number }[]> {
  const { rows: found } = await testDatabase().database.query(
    `SELECT encoding, key_id, count(*)::int AS n FROM secret_versions WHERE value IS NOT NULL
     GROUP BY encoding, key_id ORDER BY encoding, key_id`,
    [],
  );
  return found as { encoding: string; key_id: string | null; n: number }[];
}

function seedKey(i: number): string {
  return `rotation.${String(i).padStart(3, '0')}`;
}

function seedValue(i: number): WrittenValue {
  return { seed: i, token: `token-${i}-\u{1f511}` };
}

async function seed(store: SecretStore, count: number): Promise<Map<string, WrittenValue>> {
  const seeded = new Map<string, WrittenValue>();
  for (let i = 0; i < count; i++) seeded.set(seedKey(i), seedValue(i));
  const entries = [...seeded];
  for (let start = 0; start < entries.length; start += 50) {
    await Promise.all(entries.slice(start, start + 50).map(([key, value]) => store.setSecret(key, value)));
  }
  return seeded;
}

/** A small deterministic generator (mulberry32), so that each writer's choice of keys is reproducible. */
function randomSource(seedNumber: number): () => number {
  let state = seedNumber >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectConsistent(result: RotationResult): void {
  expect(result.scanned).toBe(result.reEncrypted + result.skipped + result.failed.length);
}

/** What a run that finds nothing left under another key resolves. */
const NOTHING_LEFT: RotationResult = {
  scanned: 0,
  reEncrypted: 0,
  skipped: 0,
  failed: [],
  auditCheckpointsResealed: 0,
};

/** The rotate records of the audit trail, in order. */
async function rotateRecords(): Promise<AuditRow[]> {
  return (await auditRows(testDatabase().database)).filter(({ operation }) => operation === 'rotate');
}

beforeEach(async () => {
  await testDatabase().reset();
});

describe('rotateEncryptionKeys from k1 to k2', () => {
  it('re-encrypts every version while writers overwrite secrets, losing no write', async () => {
    const SECRETS = 300;
    const WRITERS = 4;
    const seeded = await seed(onlyK1(), SECRETS);
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k1', n: SECRETS }]);

    // Every tenth key is left to rotation alone; the others are split between the writers, so that each key
    // has one writer and "latest" is well defined.
    const keys = [...seeded.keys()];
    const untouched = keys.filter((_, i) => i % 10 === 0);
    const owned = Array.from({ length: WRITERS }, (_, w) => keys.filter((_, i) => i % 10 !== 0 && i % WRITERS === w));
    const before = await rows(untouched);

    const storeB = k2ThenK1();
    const latest = new Map<string, WrittenValue>();
    let rotating = true;
    let writesDuringRotation = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      const random = randomSource(w + 1);
      for (let n = 1; !stop; n++) {
        const key = owned[w][Math.floor(random() * owned[w].length)];
        const value: WrittenValue = { writer: w, n, key };
        await storeB.setSecret(key, value);
        // Counted only once the write is acknowledged.
        latest.set(key, value);
        if (rotating) writesDuringRotation++;
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));

    let first: RotationResult;
    try {
      first = await storeB.rotateEncryptionKeys({ batchSize: 25 });
    } finally {
      rotating = false;
      stop = true;
      await Promise.all(writers);
    }

    expect(writesDuringRotation).toBeGreaterThan(0);
    expectConsistent(first);
    expect(first.failed).toEqual([]);
    // Versions no writer touched can only be re-encrypted; a first version a writer pushed out of retention
    // meanwhile is skipped or never listed; the writers' own versions are under k2 and never listed.
    expect(first.reEncrypted).toBeGreaterThanOrEqual(untouched.length);
    expect(first.scanned).toBeLessThanOrEqual(SECRETS);

    // Resumable: what the writers wrote is already under k2, so nothing is left.
    expect(await storeB.rotateEncryptionKeys({ batchSize: 25 })).toEqual(NOTHING_LEFT);

    const [usage] = await encodings();
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: usage.n }]);
    expect(usage.n).toBeGreaterThan(SECRETS);
    // One rotate record for each version re-encrypted, none for one skipped.
    expect(await rotateRecords()).toHaveLength(first.reEncrypted);

    // A store that no longer knows k1 reads every secret as its latest acknowledged write, and every first
    // version still kept as it was seeded, and the trail verifies without k1.
    const storeC = onlyK2();
    const read = await storeC.getSecrets(Written, 'rotation.');
    expect(read).toStrictEqual(keys.map((key) => ({ key, value: latest.get(key) ?? seeded.get(key) })));
    expect(latest.size).toBeGreaterThan(0);
    for (const key of keys) {
      const versions = await storeC.listSecretVersions(key);
      if (versions.at(-1)?.version !== 1) continue;
      expect(await storeC.getSecretVersion(Written, key, 1)).toStrictEqual(seeded.get(key));
    }
    expect(await storeC.verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });

    // Rotation changed the ciphertext and key id of rows it only re-encrypted, not their version or timestamps.
    const after = await rows(untouched);
    expect(after.map(({ key, version, created_at, updated_at }) => ({ key, version, created_at, updated_at }))).toEqual(
      before.map(({ key, version, created_at, updated_at }) => ({ key, version, created_at, updated_at })),
    );
    expect(before.every((row) => row.key_id === 'k1' && row.version === 1)).toBe(true);
    expect(after.every((row) => row.key_id === 'k2')).toBe(true);
    after.forEach((row, i) => expect(row.value).not.toBe(before[i].value));
  }, 60_000);

  it('skips a version destroyed between listing and re-encrypting, and leaves a version written meanwhile to the next run', async () => {
    const seeded = await seed(onlyK1(), 5);
    const writtenKey = seedKey(2);
    const destroyedKey = seedKey(3);
    const writtenValue: WrittenValue = { writer: 9, n: 1, key: writtenKey };
    // An instance still on k1 only, as during a rolling deploy of the new keyring.
    const oldInstance = onlyK1();
    const destroyedLatest: WrittenValue = { writer: 8, n: 2, key: destroyedKey };
    await oldInstance.setSecret(destroyedKey, destroyedLatest);

    let interleaved = false;
    const interleaving = repositoryAround({
      async list(batch) {
        if (interleaved || !batch.some((record) => record.key === writtenKey)) return;
        interleaved = true;
        await oldInstance.setSecret(writtenKey, writtenValue);
        expect(await oldInstance.destroySecret(destroyedKey, { versions: [1] })).toEqual({ destroyed: [1] });
      },
    });

    const result = await storeWith(`k2:${k2},k1:${k1}`, interleaving).rotateEncryptionKeys();
    expect(interleaved).toBe(true);
    // Five first versions and the second of destroyedKey were listed; its first was destroyed meanwhile.
    expect(result).toEqual({ ...NOTHING_LEFT, scanned: 6, reEncrypted: 5, skipped: 1 });
    expect(await rotateRecords()).toHaveLength(5);

    const storeB = k2ThenK1();
    expect(await storeB.getSecret(Written, writtenKey)).toStrictEqual(writtenValue);
    const [row] = await rows([writtenKey]);
    expect(row).toMatchObject({ key_id: 'k1', version: 2 });
    expect(await storeB.getSecretVersion(Written, destroyedKey, 1)).toBeUndefined();

    // The next run picks up the version written meanwhile.
    expect(await storeB.rotateEncryptionKeys()).toEqual({ ...NOTHING_LEFT, scanned: 1, reEncrypted: 1 });
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: 6 }]);
    const expected = [...seeded].map(([key, value]) => ({
      key,
      value: key === writtenKey ? writtenValue : key === destroyedKey ? destroyedLatest : value,
    }));
    const storeC = onlyK2();
    expect(await storeC.getSecrets(Written, 'rotation.')).toStrictEqual(expected);
    expect(await storeC.getSecretVersion(Written, writtenKey, 1)).toStrictEqual(seeded.get(writtenKey));
    expect(await storeC.verifyAuditTrail()).toMatchObject({ ok: true });
  });

  it('re-encrypts each version once when a second run rewrites it between listing and re-encrypting', async () => {
    const seeded = await seed(onlyK1(), 8);
    const other = k2ThenK1();
    let otherRun: RotationResult | undefined;
    const interleaving = repositoryAround({
      async list(batch) {
        if (otherRun === undefined && batch.length > 0) otherRun = await other.rotateEncryptionKeys();
      },
    });

    const result = await storeWith(`k2:${k2},k1:${k1}`, interleaving).rotateEncryptionKeys();

    expect(otherRun).toMatchObject({ scanned: 8, reEncrypted: 8, failed: [] });
    expect(result).toEqual({ ...NOTHING_LEFT, scanned: 8, skipped: 8 });
    expect(await rotateRecords()).toHaveLength(8);
    expect(await onlyK2().getSecrets(Written, 'rotation.')).toStrictEqual(
      [...seeded].map(([key, value]) => ({ key, value })),
    );
  });

  it('completes on a second run after the first was interrupted', async () => {
    const SECRETS = 60;
    const BEFORE_FAILURE = 17;
    const seeded = await seed(onlyK1(), SECRETS);

    const outage = new DatabaseUnavailableError('Re-encrypting secret', '57P01', 'terminating connection');
    let calls = 0;
    const failing = repositoryAround({
      async reencrypt(rewrite) {
        calls++;
        if (calls > BEFORE_FAILURE) throw outage;
        return rewrite();
      },
    });

    await expect(storeWith(`k2:${k2},k1:${k1}`, failing).rotateEncryptionKeys({ batchSize: 10 })).rejects.toBe(outage);
    expect(await encodings()).toEqual([
      { encoding: 'aes-256-gcm', key_id: 'k1', n: SECRETS - BEFORE_FAILURE },
      { encoding: 'aes-256-gcm', key_id: 'k2', n: BEFORE_FAILURE },
    ]);
    expect(await rotateRecords()).toHaveLength(BEFORE_FAILURE);

    expect(await k2ThenK1().rotateEncryptionKeys({ batchSize: 10 })).toEqual({
      ...NOTHING_LEFT,
      scanned: SECRETS - BEFORE_FAILURE,
      reEncrypted: SECRETS - BEFORE_FAILURE,
    });
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: SECRETS }]);
    expect(await rotateRecords()).toHaveLength(SECRETS);
    expect(await onlyK2().getSecrets(Written, 'rotation.')).toStrictEqual(
      [...seeded].map(([key, value]) => ({ key, value })),
    );
  });

  it('reports a version under an unknown key id as failed, leaves it as it is and rotates the others', async () => {
    const seeded = await seed(onlyK1(), 10);
    const orphanKey = 'rotation.orphan';
    await storeWith(`k0:${k0}`).setSecret(orphanKey, { lost: true });
    // Its audit record was sealed while k0 was still known: k0 is gone from every keyring since.
    await storeWith(`k1:${k1},k0:${k0}`).sealAuditTrail();
    const [orphanBefore] = await rows([orphanKey]);
    expect(orphanBefore).toMatchObject({ key_id: 'k0' });

    const storeB = k2ThenK1();
    const result = await storeB.rotateEncryptionKeys({ batchSize: 4 });
    expect(result).toMatchObject({
      scanned: 11,
      reEncrypted: 10,
      skipped: 0,
      failed: [{ key: orphanKey, version: 1, code: 'SECRET_DECRYPTION_FAILED' }],
    });

    expect(await rows([orphanKey])).toEqual([orphanBefore]);
    expect(await encodings()).toEqual([
      { encoding: 'aes-256-gcm', key_id: 'k0', n: 1 },
      { encoding: 'aes-256-gcm', key_id: 'k2', n: 10 },
    ]);
    expect(await onlyK2().getSecretsByKeys(Written, [...seeded.keys()])).toStrictEqual(
      [...seeded].map(([key, value]) => ({ key, value })),
    );
    await expect(storeB.getSecret(Written, orphanKey)).rejects.toMatchObject({
      code: 'SECRET_DECRYPTION_FAILED',
      keyId: 'k0',
    });

    // Run again, it reports the same version and changes nothing.
    expect(await storeB.rotateEncryptionKeys()).toEqual({
      ...NOTHING_LEFT,
      scanned: 1,
      failed: [{ key: orphanKey, version: 1, code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(await rows([orphanKey])).toEqual([orphanBefore]);
  });

  it('re-encrypts what it can but seals nothing while an unsealed record is signed under a key it does not know', async () => {
    const seeded = await seed(onlyK1(), 4);
    await storeWith(`k0:${k0}`).setSecret('rotation.orphan', { lost: true });
    const storeB = k2ThenK1();

    // The seal never vouches for a record it cannot check; the versions rewritten before it stay rewritten,
    // and the result says both.
    expect(await storeB.rotateEncryptionKeys()).toEqual({
      ...NOTHING_LEFT,
      scanned: 5,
      reEncrypted: 4,
      failed: [{ key: 'rotation.orphan', version: 1, code: 'SECRET_DECRYPTION_FAILED' }],
      auditTrailProblem: expect.stringContaining('not in the keyring') as unknown,
    });
    expect(await encodings()).toEqual([
      { encoding: 'aes-256-gcm', key_id: 'k0', n: 1 },
      { encoding: 'aes-256-gcm', key_id: 'k2', n: 4 },
    ]);
    expect(await rotateRecords()).toHaveLength(4);
    expect(await checkpointRows(testDatabase().database)).toEqual([]);
    expect(await onlyK2().getSecrets(Written, 'rotation.0')).toStrictEqual(
      [...seeded].map(([key, value]) => ({ key, value })),
    );

    // With k0 back in the keyring the same run completes, sealing that record too.
    const withK0 = storeWith(`k2:${k2},k1:${k1},k0:${k0}`);
    expect(await withK0.rotateEncryptionKeys()).toEqual({ ...NOTHING_LEFT, scanned: 1, reEncrypted: 1 });
    expect(await onlyK2().verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
  });

  it('reports a version locked past the statement timeout as failed and rotates the rest', async () => {
    const { mode, url } = testDatabase();
    if (mode !== 'server') {
      // PGlite is one session: no other connection can hold a row lock while rotation runs.
      expect(mode).toBe('pglite');
      return;
    }
    const seeded = await seed(onlyK1(), 6);
    const [lockedKey] = [...seeded.keys()].sort().slice(2, 3);
    const pool = createPool({ connectionString: url }, { max: 2, statementTimeoutMillis: 300 });
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secret_versions WHERE key = $1 AND version = 1 FOR UPDATE', [lockedKey]);

      const rotating = new SecretStore(new PostgresSecretStoreRepository(pool), {
        encryption: parseEncryptionKeys(`k2:${k2},k1:${k1}`),
      });
      const result = await rotating.rotateEncryptionKeys({ batchSize: 2 });

      expect(result).toMatchObject({
        scanned: 6,
        reEncrypted: 5,
        skipped: 0,
        failed: [{ key: lockedKey, version: 1, code: 'STATEMENT_TIMEOUT' }],
      });
      // The failed rewrite left no record behind.
      expect((await rotateRecords()).map(({ key }) => key)).not.toContain(lockedKey);
      await holder.query('ROLLBACK');
      // Once the lock is gone, a second run finishes the job.
      expect(await rotating.rotateEncryptionKeys()).toEqual({ ...NOTHING_LEFT, scanned: 1, reEncrypted: 1 });
    } finally {
      await holder.end();
      await pool.end();
    }
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: 6 }]);
    expect(await rotateRecords()).toHaveLength(6);
  });
});
