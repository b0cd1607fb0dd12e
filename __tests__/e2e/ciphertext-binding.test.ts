/**
 * A ciphertext is bound to its key, its key id and the write that made it: moved with SQL to another version's
 * row or another secret's row, or left in place under another write id, it no longer decrypts. Nothing that
 * reads it (a read, a read of a version, a restore, a rotation) serves or launders it.
 */
import { z } from 'zod';

import {
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretDecryptionError,
  SecretStore,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { sealedValue } from '../support/envelopes';
import { expectRejection } from '../support/errors';

const testDatabase = useTestDatabase();
const k1 = generateEncryptionKey();
const Counter = z.object({ n: z.number() });

function storeWith(spec: string): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: parseEncryptionKeys(spec),
  });
}

let store: SecretStore;

beforeAll(() => {
  store = storeWith(`k1:${k1}`);
});

beforeEach(() => testDatabase().reset());

async function sql(text: string, values: unknown[] = []): Promise<void> {
  await testDatabase().database.query(text, values);
}

/** Copies version `from`'s value (and, with `withWriteId`, its write id) of `fromKey` onto a kept version's row. */
async function copyVersion(
  fromKey: string,
  from: number,
  toKey: string,
  to: number,
  withWriteId: boolean,
): Promise<void> {
  await sql(
    `UPDATE secret_versions AS t
     SET value = f.value, write_id = CASE WHEN $5 THEN f.write_id ELSE t.write_id END
     FROM secret_versions AS f
     WHERE f.key = $1 AND f.version = $2 AND t.key = $3 AND t.version = $4`,
    [fromKey, from, toKey, to, withWriteId],
  );
}

/** Copies a kept version's value (and write id) onto a secret's current row. */
async function copyToCurrent(fromKey: string, from: number, toKey: string, withWriteId: boolean): Promise<void> {
  await sql(
    `UPDATE secret_store AS t
     SET value = f.value, write_id = CASE WHEN $4 THEN f.write_id ELSE t.write_id END
     FROM secret_versions AS f
     WHERE f.key = $1 AND f.version = $2 AND t.key = $3`,
    [fromKey, from, toKey, withWriteId],
  );
}

async function expectDecryptionFailure(read: Promise<unknown>, key: string): Promise<void> {
  const error = await expectRejection(read, SecretDecryptionError, 'SECRET_DECRYPTION_FAILED');
  expect(error).toMatchObject({ key, keyId: 'k1' });
}

describe("an older version's ciphertext moved onto another version of the same secret", () => {
  beforeEach(async () => {
    for (const n of [1, 2, 3]) await store.setSecret('bind.a', { n });
  });

  it('fails to decrypt as the current value, in the current row and in its kept version', async () => {
    await copyToCurrent('bind.a', 1, 'bind.a', false);
    await copyVersion('bind.a', 1, 'bind.a', 3, false);

    await expectDecryptionFailure(store.getSecret(Counter, 'bind.a'), 'bind.a');
    await expectDecryptionFailure(store.getSecretVersion(Counter, 'bind.a', 3), 'bind.a');
    await expectDecryptionFailure(store.getSecrets(Counter, 'bind.'), 'bind.a');
    // The version it was copied from is untouched and still reads.
    expect(await store.getSecretVersion(Counter, 'bind.a', 1)).toEqual({ n: 1 });
  });

  it('fails to decrypt as an older version, and cannot be restored from there', async () => {
    await copyVersion('bind.a', 1, 'bind.a', 2, false);
    const { rows: before } = await testDatabase().database.query('SELECT count(*)::int AS n FROM secret_versions', []);

    await expectDecryptionFailure(store.getSecretVersion(Counter, 'bind.a', 2), 'bind.a');
    await expectDecryptionFailure(store.restoreSecretVersion('bind.a', 2), 'bind.a');

    const { rows: after } = await testDatabase().database.query('SELECT count(*)::int AS n FROM secret_versions', []);
    expect(after).toEqual(before);
    expect(await store.getSecretWithMetadata(Counter, 'bind.a')).toMatchObject({ value: { n: 3 }, version: 3 });
  });
});

describe("a ciphertext moved onto another secret's row", () => {
  beforeEach(async () => {
    await store.setSecret('bind.a', { n: 1 });
    await store.setSecret('bind.b', { n: 2 });
  });

  it.each([
    ['with its write id', true],
    ['without its write id', false],
  ])('fails to decrypt as the current value, %s', async (_name, withWriteId) => {
    await copyToCurrent('bind.a', 1, 'bind.b', withWriteId);
    await expectDecryptionFailure(store.getSecret(Counter, 'bind.b'), 'bind.b');
    await expectDecryptionFailure(store.getSecretsByKeys(Counter, ['bind.a', 'bind.b']), 'bind.b');
    expect(await store.getSecret(Counter, 'bind.a')).toEqual({ n: 1 });
  });

  it('fails to decrypt as a kept version, with its write id', async () => {
    await copyVersion('bind.a', 1, 'bind.b', 1, true);
    await expectDecryptionFailure(store.getSecretVersion(Counter, 'bind.b', 1), 'bind.b');
  });
});

describe('a ciphertext left in place under another write id', () => {
  beforeEach(async () => {
    await store.setSecret('bind.a', { n: 1 });
    await store.setSecret('bind.a', { n: 2 });
  });

  it('fails to decrypt as the current value', async () => {
    await sql("UPDATE secret_store SET write_id = 'another-write' WHERE key = 'bind.a'");
    await expectDecryptionFailure(store.getSecret(Counter, 'bind.a'), 'bind.a');
    await expectDecryptionFailure(store.getSecretWithMetadata(Counter, 'bind.a'), 'bind.a');
  });

  it('fails to decrypt as a kept version, also under the write id of another version', async () => {
    await sql(
      `UPDATE secret_versions SET write_id = (SELECT write_id FROM secret_versions WHERE key = 'bind.a' AND version = 2)
       WHERE key = 'bind.a' AND version = 1`,
    );
    await expectDecryptionFailure(store.getSecretVersion(Counter, 'bind.a', 1), 'bind.a');
    expect(await store.getSecretVersion(Counter, 'bind.a', 2)).toEqual({ n: 2 });
  });

  it('fails to decrypt without any write id', async () => {
    await sql("UPDATE secret_versions SET write_id = NULL WHERE key = 'bind.a' AND version = 1");
    await expectDecryptionFailure(store.getSecretVersion(Counter, 'bind.a', 1), 'bind.a');
  });
});

describe('rotation', () => {
  it('reports a moved ciphertext as unreadable and leaves it as it is, never re-encrypting it', async () => {
    for (const n of [1, 2]) await store.setSecret('bind.a', { n });
    await copyVersion('bind.a', 1, 'bind.a', 2, false);
    await copyToCurrent('bind.a', 1, 'bind.a', false);
    const k2 = generateEncryptionKey();

    const result = await storeWith(`k2:${k2},k1:${k1}`).rotateEncryptionKeys();

    expect(result).toMatchObject({
      scanned: 2,
      reEncrypted: 1,
      failed: [{ key: 'bind.a', version: 2, code: 'SECRET_DECRYPTION_FAILED' }],
    });
    const { rows } = await testDatabase().database.query(
      "SELECT version, key_id FROM secret_versions WHERE key = 'bind.a' ORDER BY version",
      [],
    );
    expect(rows).toEqual([
      { version: 1, key_id: 'k2' },
      { version: 2, key_id: 'k1' },
    ]);
  });
});

describe('rows written before write ids (envelope version 1)', () => {
  async function insertVersionOne(key: string, n: number): Promise<void> {
    const { valueJson, encoding, keyId } = sealedValue(Buffer.from(k1, 'base64'), 'k1', key, JSON.stringify({ n }));
    // As a row written before the lifecycle migration, or imported by hand: the migration keeps it as version 1.
    await sql('INSERT INTO secret_store (key, version, value, encoding, key_id) VALUES ($1, 1, $2::jsonb, $3, $4)', [
      key,
      valueJson,
      encoding,
      keyId,
    ]);
  }

  it('still decode, and stay bound to their key', async () => {
    await insertVersionOne('bind.old', 7);
    await insertVersionOne('bind.other', 8);
    expect(await store.getSecret(Counter, 'bind.old')).toEqual({ n: 7 });
    expect(await store.getSecretVersion(Counter, 'bind.old', 1)).toEqual({ n: 7 });

    await copyToCurrent('bind.old', 1, 'bind.other', true);
    await expectDecryptionFailure(store.getSecret(Counter, 'bind.other'), 'bind.other');
  });

  it('are written anew as the next version, bound to that write', async () => {
    await insertVersionOne('bind.old', 7);
    expect(await store.setSecret('bind.old', { n: 8 })).toEqual({ version: 2 });
    expect(await store.restoreSecretVersion('bind.old', 1)).toEqual({ version: 3 });
    expect(await store.getSecret(Counter, 'bind.old')).toEqual({ n: 7 });
    const { rows } = await testDatabase().database.query(
      "SELECT version, value->>'v' AS envelope FROM secret_versions WHERE key = 'bind.old' ORDER BY version",
      [],
    );
    expect(rows).toEqual([
      { version: 1, envelope: '1' },
      { version: 2, envelope: '2' },
      { version: 3, envelope: '2' },
    ]);
  });
});
