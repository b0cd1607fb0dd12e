import { z } from 'zod';

import {
  EncryptionKeyMismatchError,
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { codeOf, expectRejection } from '../support/errors';

const testDatabase = useTestDatabase();
const Token = z.object({ token: z.string() });

const original = generateEncryptionKey();
const impostor = generateEncryptionKey();
const next = generateEncryptionKey();

/** A store over the harness database with keyring `spec` (id:<base64>,…; the first is active). */
function storeWith(spec: string): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: parseEncryptionKeys(spec),
  });
}

async function table(name: 'secret_store' | 'secret_store_key_fingerprints'): Promise<Record<string, unknown>[]> {
  const order = name === 'secret_store' ? 'key' : 'key_id';
  const { rows } = await testDatabase().database.query(`SELECT * FROM ${name} ORDER BY ${order}`, []);
  return rows as Record<string, unknown>[];
}

beforeEach(() => testDatabase().reset());

describe('key fingerprints: one key id never stands for two keys', () => {
  it('records the fingerprint of the key that writes, and nothing that reveals the key', async () => {
    const store = storeWith(`k1:${original}`);
    expect(await store.checkEncryptionKeys()).toEqual([{ keyId: 'k1', state: 'unrecorded' }]);

    await store.setSecret('fp.a', { token: 'a' });

    const [row] = await table('secret_store_key_fingerprints');
    expect(row).toMatchObject({ key_id: 'k1', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    const material = Buffer.from(original, 'base64');
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      expect(JSON.stringify(row)).not.toContain(material.toString(encoding).slice(0, 16));
    }
    expect(await store.checkEncryptionKeys()).toEqual([{ keyId: 'k1', state: 'recorded' }]);
  });

  it('refuses another key under a known id, for reads and writes, writing nothing', async () => {
    await storeWith(`k1:${original}`).setSecret('fp.a', { token: 'a' });
    const before = await table('secret_store');
    const wrong = storeWith(`k1:${impostor}`);

    for (const call of [
      () => wrong.getSecret(Token, 'fp.a'),
      () => wrong.getSecrets(Token, 'fp.'),
      () => wrong.setSecret('fp.b', { token: 'b' }),
      () => wrong.setSecrets([{ key: 'fp.c', value: { token: 'c' } }]),
      () => wrong.rotateEncryptionKeys(),
    ]) {
      const error = await expectRejection(call(), EncryptionKeyMismatchError, 'ENCRYPTION_KEY_MISMATCH');
      expect(error).toMatchObject({ keyId: 'k1' });
      expect(error.message).not.toContain(impostor);
    }
    expect(await table('secret_store')).toEqual(before);
    expect(await wrong.checkEncryptionKeys()).toEqual([{ keyId: 'k1', state: 'mismatched' }]);
  });

  it('reports ids the keyring lacks as missing, and takes a rotation to a new key', async () => {
    await storeWith(`k1:${original}`).setSecret('fp.a', { token: 'a' });

    const rotating = storeWith(`k2:${next},k1:${original}`);
    expect(await rotating.rotateEncryptionKeys()).toMatchObject({ reEncrypted: 1, failed: [] });
    expect(await rotating.checkEncryptionKeys()).toEqual([
      { keyId: 'k1', state: 'recorded' },
      { keyId: 'k2', state: 'recorded' },
    ]);

    const rotated = storeWith(`k2:${next}`);
    expect(await rotated.getSecret(Token, 'fp.a')).toEqual({ token: 'a' });
    expect(await rotated.checkEncryptionKeys()).toEqual([
      { keyId: 'k1', state: 'missing' },
      { keyId: 'k2', state: 'recorded' },
    ]);
  });

  it('lets exactly one of two first writers with different keys under one id record it', async () => {
    const first = storeWith(`k1:${original}`);
    const second = storeWith(`k1:${impostor}`);

    const outcomes = await Promise.allSettled([
      first.setSecret('fp.first', { token: '1' }),
      second.setSecret('fp.second', { token: '2' }),
    ]);

    const codes = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : codeOf(outcome.reason)));
    expect([...codes].sort()).toEqual(['ENCRYPTION_KEY_MISMATCH', 'ok']);
    const written = codes[0] === 'ok' ? 'fp.first' : 'fp.second';
    expect((await table('secret_store')).map((row) => row.key)).toEqual([written]);
  });

  it('does not count a fingerprint recorded in a transaction that rolled back', async () => {
    const rolledBack = storeWith(`k1:${original}`);
    await expect(
      rolledBack.transaction(async (tx) => {
        await tx.setSecret('fp.a', { token: 'a' });
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect(await table('secret_store_key_fingerprints')).toEqual([]);

    // Nothing was written under k1, so another key may take the id; the first store must then be refused.
    await storeWith(`k1:${impostor}`).setSecret('fp.b', { token: 'b' });
    await expect(rolledBack.setSecret('fp.a', { token: 'a' })).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_MISMATCH',
    });
  });

  it("needs nothing of a store with encryption 'none'", async () => {
    const plaintext = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
      encryption: 'none',
    });
    await plaintext.setSecret('fp.plain', { token: 'p' });
    expect(await plaintext.checkEncryptionKeys()).toEqual([]);
    expect(await table('secret_store_key_fingerprints')).toEqual([]);
  });
});
