/**
 * Key rotation on the real stack: re-encryption from k1 to k2 while writers run, skipped rows, resuming an
 * interrupted run, and rows that cannot be read.
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
} from '../../src';
import { createPool } from '../../src/database/pool';
import { useTestDatabase } from '../harness/database';

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

/** A repository that passes every call to `inner`, except those `overrides` replaces. */
function delegatingTo(inner: SecretStoreRepository, overrides: Partial<SecretStoreRepository>): SecretStoreRepository {
  return {
    getSecret: (key) => inner.getSecret(key),
    getSecretsByKeys: (keys) => inner.getSecretsByKeys(keys),
    listSecretsByPrefix: (prefix) => inner.listSecretsByPrefix(prefix),
    upsertSecret: (key, value) => inner.upsertSecret(key, value),
    writeSecretIfVersion: (key, value, ifVersion) => inner.writeSecretIfVersion(key, value, ifVersion),
    upsertSecrets: (entries) => inner.upsertSecrets(entries),
    listSecretsToRotate: (activeKeyId, afterKey, limit) => inner.listSecretsToRotate(activeKeyId, afterKey, limit),
    reencryptSecret: (key, version, value) => inner.reencryptSecret(key, version, value),
    deleteSecret: (key) => inner.deleteSecret(key),
    countSecretsByEncryption: () => inner.countSecretsByEncryption(),
    getKeyFingerprints: () => inner.getKeyFingerprints(),
    recordKeyFingerprint: (keyId, fingerprint) => inner.recordKeyFingerprint(keyId, fingerprint),
    transaction: (work) => inner.transaction(work),
    ...overrides,
  };
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

/** Rows as stored, timestamps as text so that microseconds count. */
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

/** How many rows are under each encoding and key id. */
async function encodings(): Promise<{ encoding: string; key_id: string | null; n: number }[]> {
  const { rows: found } = await testDatabase().database.query(
    `SELECT encoding, key_id, count(*)::int AS n FROM secret_store GROUP BY encoding, key_id ORDER BY encoding, key_id`,
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

beforeEach(async () => {
  await testDatabase().reset();
});

describe('rotateEncryptionKeys from k1 to k2', () => {
  it('re-encrypts every row while writers overwrite secrets, losing no write', async () => {
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
    expect(first.reEncrypted).toBeGreaterThan(0);
    // Rows no writer touched can only be re-encrypted; rows a writer rewrote under k2 first are not listed.
    expect(first.reEncrypted).toBeGreaterThanOrEqual(untouched.length);
    expect(first.scanned).toBeLessThanOrEqual(SECRETS);

    // Resumable: what the writers rewrote is already under k2, so nothing is left.
    expect(await storeB.rotateEncryptionKeys({ batchSize: 25 })).toEqual({
      scanned: 0,
      reEncrypted: 0,
      skipped: 0,
      failed: [],
    });

    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: SECRETS }]);

    // A store that no longer knows k1 reads every secret as its latest acknowledged write.
    const storeC = onlyK2();
    const read = await storeC.getSecrets(Written, 'rotation.');
    expect(read).toStrictEqual(keys.map((key) => ({ key, value: latest.get(key) ?? seeded.get(key) })));
    expect(latest.size).toBeGreaterThan(0);

    // Rotation changed the ciphertext and key id of rows it only re-encrypted, not their version or timestamps.
    const after = await rows(untouched);
    expect(after.map(({ key, version, created_at, updated_at }) => ({ key, version, created_at, updated_at }))).toEqual(
      before.map(({ key, version, created_at, updated_at }) => ({ key, version, created_at, updated_at })),
    );
    expect(before.every((row) => row.key_id === 'k1' && row.version === 1)).toBe(true);
    expect(after.every((row) => row.key_id === 'k2')).toBe(true);
    after.forEach((row, i) => expect(row.value).not.toBe(before[i].value));
  }, 60_000);

  it('skips a row written between listing and re-encrypting, and keeps that write', async () => {
    const seeded = await seed(onlyK1(), 5);
    const concurrentKey = seedKey(2);
    const concurrentValue: WrittenValue = { writer: 9, n: 1, key: concurrentKey };
    // An instance still on k1 only, as during a rolling deploy of the new keyring.
    const oldInstance = onlyK1();

    const real = repository();
    let interleaved = false;
    const interleaving = delegatingTo(real, {
      async listSecretsToRotate(activeKeyId, afterKey, limit) {
        const batch = await real.listSecretsToRotate(activeKeyId, afterKey, limit);
        if (!interleaved && batch.some((record) => record.key === concurrentKey)) {
          interleaved = true;
          await oldInstance.setSecret(concurrentKey, concurrentValue);
        }
        return batch;
      },
    });

    const result = await storeWith(`k2:${k2},k1:${k1}`, interleaving).rotateEncryptionKeys();
    expect(interleaved).toBe(true);
    expect(result).toEqual({ scanned: 5, reEncrypted: 4, skipped: 1, failed: [] });

    const storeB = k2ThenK1();
    expect(await storeB.getSecret(Written, concurrentKey)).toStrictEqual(concurrentValue);
    const [row] = await rows([concurrentKey]);
    expect(row).toMatchObject({ key_id: 'k1', version: 2 });

    // The next run picks up what was skipped.
    expect(await storeB.rotateEncryptionKeys()).toEqual({ scanned: 1, reEncrypted: 1, skipped: 0, failed: [] });
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: 5 }]);
    const expected = [...seeded].map(([key, value]) => ({
      key,
      value: key === concurrentKey ? concurrentValue : value,
    }));
    expect(await onlyK2().getSecrets(Written, 'rotation.')).toStrictEqual(expected);
  });

  it('completes on a second run after the first was interrupted', async () => {
    const SECRETS = 60;
    const BEFORE_FAILURE = 17;
    const seeded = await seed(onlyK1(), SECRETS);

    const real = repository();
    const outage = new DatabaseUnavailableError('Re-encrypting secret', '57P01', 'terminating connection');
    let calls = 0;
    const failing = delegatingTo(real, {
      async reencryptSecret(key, version, value) {
        calls++;
        if (calls > BEFORE_FAILURE) throw outage;
        return real.reencryptSecret(key, version, value);
      },
    });

    await expect(storeWith(`k2:${k2},k1:${k1}`, failing).rotateEncryptionKeys({ batchSize: 10 })).rejects.toBe(outage);
    expect(await encodings()).toEqual([
      { encoding: 'aes-256-gcm', key_id: 'k1', n: SECRETS - BEFORE_FAILURE },
      { encoding: 'aes-256-gcm', key_id: 'k2', n: BEFORE_FAILURE },
    ]);

    expect(await k2ThenK1().rotateEncryptionKeys({ batchSize: 10 })).toEqual({
      scanned: SECRETS - BEFORE_FAILURE,
      reEncrypted: SECRETS - BEFORE_FAILURE,
      skipped: 0,
      failed: [],
    });
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: SECRETS }]);
    expect(await onlyK2().getSecrets(Written, 'rotation.')).toStrictEqual(
      [...seeded].map(([key, value]) => ({ key, value })),
    );
  });

  it('reports a row under an unknown key id as failed, leaves it as it is and rotates the others', async () => {
    const seeded = await seed(onlyK1(), 10);
    const orphanKey = 'rotation.orphan';
    await storeWith(`k0:${k0}`).setSecret(orphanKey, { lost: true });
    const [orphanBefore] = await rows([orphanKey]);
    expect(orphanBefore).toMatchObject({ key_id: 'k0' });

    const storeB = k2ThenK1();
    const result = await storeB.rotateEncryptionKeys({ batchSize: 4 });
    expect(result).toEqual({
      scanned: 11,
      reEncrypted: 10,
      skipped: 0,
      failed: [{ key: orphanKey, code: 'SECRET_DECRYPTION_FAILED' }],
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

    // Run again, it reports the same row and changes nothing.
    expect(await storeB.rotateEncryptionKeys()).toEqual({
      scanned: 1,
      reEncrypted: 0,
      skipped: 0,
      failed: [{ key: orphanKey, code: 'SECRET_DECRYPTION_FAILED' }],
    });
    expect(await rows([orphanKey])).toEqual([orphanBefore]);
  });

  it('reports a row locked past the statement timeout as failed and rotates the rest', async () => {
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
      await holder.query('SELECT 1 FROM secret_store WHERE key = $1 FOR UPDATE', [lockedKey]);

      const rotating = new SecretStore(new PostgresSecretStoreRepository(pool), {
        encryption: parseEncryptionKeys(`k2:${k2},k1:${k1}`),
      });
      const result = await rotating.rotateEncryptionKeys({ batchSize: 2 });

      expect(result).toEqual({
        scanned: 6,
        reEncrypted: 5,
        skipped: 0,
        failed: [{ key: lockedKey, code: 'STATEMENT_TIMEOUT' }],
      });
      await holder.query('ROLLBACK');
      // Once the lock is gone, a second run finishes the job.
      expect(await rotating.rotateEncryptionKeys()).toEqual({ scanned: 1, reEncrypted: 1, skipped: 0, failed: [] });
    } finally {
      await holder.end();
      await pool.end();
    }
    expect(await encodings()).toEqual([{ encoding: 'aes-256-gcm', key_id: 'k2', n: 6 }]);
  });
});
