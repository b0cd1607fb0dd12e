import { z } from 'zod';

import {
  anyJson,
  createSecretStore,
  generateEncryptionKey,
  InvalidSecretValueError,
  PostgresSecretStoreRepository,
  SecretNotFoundError,
  SecretStore,
  SecretValidationError,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring();
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
});

beforeEach(async () => {
  await testDatabase().reset();
});

async function rowCount(): Promise<number> {
  const { rows } = await testDatabase().database.query('SELECT count(*)::int AS n FROM secret_store', []);
  return (rows as { n: number }[])[0].n;
}

const OAuthClient = z.object({
  client_id: z.string(),
  client_secret: z.string(),
  scopes: z.array(z.string()).min(1),
});

describe('SecretStore on PostgreSQL', () => {
  it('runs the OAuth workflow', async () => {
    const key = 'oauth.github.client';
    await store.setSecret(key, { client_id: 'Iv1.abc', client_secret: 's3cr3t', scopes: ['repo'] });

    const first = await store.getSecret(OAuthClient, key);
    expect(first).toEqual({ client_id: 'Iv1.abc', client_secret: 's3cr3t', scopes: ['repo'] });
    // Typed: scopes is string[] at compile time.
    expect(first?.scopes.map((scope) => scope.toUpperCase())).toEqual(['REPO']);

    await store.setSecret(key, { ...first!, scopes: ['repo', 'read:user', 'workflow'] });
    const second = await store.getSecretOrThrow(OAuthClient, key);
    expect(second.scopes).toEqual(['repo', 'read:user', 'workflow']);

    const { rows } = await testDatabase().database.query('SELECT version FROM secret_store WHERE key = $1', [key]);
    expect(rows).toEqual([{ version: 2 }]);

    expect(await store.getSecret(OAuthClient, 'oauth.gitlab.client')).toBeUndefined();
    await expect(store.getSecretOrThrow(OAuthClient, 'oauth.gitlab.client')).rejects.toThrow(SecretNotFoundError);
    await expect(store.getSecretOrThrow(OAuthClient, 'oauth.gitlab.client')).rejects.toThrow('"oauth.gitlab.client"');
  });

  it('lands every one of 50 concurrent setSecret calls', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `concurrent.${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((key, i) => store.setSecret(key, { i })));

    const all = await store.getSecrets(z.object({ i: z.number() }), 'concurrent.');
    expect(all.map((entry) => entry.key)).toEqual(keys);
    expect(all.map((entry) => entry.value.i)).toEqual(keys.map((_, i) => i));
  });

  it('lists by a literal prefix and gets by keys, typed', async () => {
    const Token = z.object({ token: z.string() });
    for (const key of ['svc_a.token', 'svcXa.token', 'svc_b.token']) await store.setSecret(key, { token: key });

    expect(await store.getSecrets(Token, 'svc_a')).toEqual([{ key: 'svc_a.token', value: { token: 'svc_a.token' } }]);
    const byKeys = await store.getSecretsByKeys(Token, ['svc_b.token', 'missing', 'svc_b.token', 'svcXa.token']);
    expect(byKeys.map((entry) => entry.key)).toEqual(['svcXa.token', 'svc_b.token']);
    expect(await store.getSecretsByKeys(Token, [])).toEqual([]);
  });

  it('refuses a stored value that fails the schema, naming the key and path', async () => {
    await store.setSecret('oauth.broken', { client_id: 'x', client_secret: 'y', scopes: ['repo', 42] });
    const error = await expectRejection(
      store.getSecret(OAuthClient, 'oauth.broken'),
      SecretValidationError,
      'SECRET_VALIDATION_FAILED',
    );
    expect(error).toMatchObject({ key: 'oauth.broken', paths: ['$.scopes[1]'] });
  });

  it('writes nothing for a value that would not read back equal', async () => {
    await expect(store.setSecret('bad.date', { expires: new Date() })).rejects.toThrow(InvalidSecretValueError);
    await expect(store.setSecret('bad.zero', { n: -0 })).rejects.toMatchObject({ path: '$.n' });
    expect(await rowCount()).toBe(0);
  });

  it('deletes softly, reporting whether the key was there', async () => {
    await store.setSecret('api.external', { api_key: 'k' });
    expect(await store.deleteSecret('api.external')).toBe(true);
    expect(await store.deleteSecret('api.external')).toBe(false);
    expect(await store.deleteSecret('api.never')).toBe(false);
    expect(await store.getSecret(anyJson, 'api.external')).toBeUndefined();
    // The row stays, marked, so that undeleteSecret can bring it back.
    const { rows } = await testDatabase().database.query(
      'SELECT key, deleted_at IS NOT NULL AS deleted FROM secret_store',
      [],
    );
    expect(rows).toEqual([{ key: 'api.external', deleted: true }]);
  });

  it('lists metadata without values, and counts secrets by encryption key', async () => {
    await store.setSecret('meta.b', { n: 1 });
    await store.setSecret('meta.a', { n: 1 });
    await store.setSecret('meta.a', { n: 2 });
    // A plaintext row written around the store (by hand, or before migration 004): it is kept as its version.
    await testDatabase().database.query(
      `INSERT INTO secret_store (key, version, value, encoding) VALUES ('meta.plain', 1, '{"n":0}', 'plain')`,
      [],
    );

    const { secrets: listed, next } = await store.listSecrets({ prefix: 'meta.' });
    expect(next).toBeUndefined();
    expect(listed.map(({ key, version, encoding }) => ({ key, version, encoding }))).toEqual([
      { key: 'meta.a', version: 2, encoding: 'aes-256-gcm' },
      { key: 'meta.b', version: 1, encoding: 'aes-256-gcm' },
      { key: 'meta.plain', version: 1, encoding: 'plain' },
    ]);
    expect(Object.keys(listed[0]).sort()).toEqual([
      'createdAt',
      'deletedAt',
      'description',
      'encoding',
      'expiresAt',
      'key',
      'keyId',
      'maxVersions',
      'rotateAfter',
      'tags',
      'updatedAt',
      'version',
    ]);
    // Every kept version counts: meta.a keeps two.
    expect(await store.encryptionUsage()).toEqual([
      { encoding: 'aes-256-gcm', keyId: encryption.activeKeyId, secrets: 3 },
      { encoding: 'plain', keyId: null, secrets: 1 },
    ]);
    expect(await store.getSecret(anyJson, 'meta.a')).toEqual({ n: 2 });
  });

  describe('transactions', () => {
    it('commits every operation of a transaction that resolves', async () => {
      await store.transaction(async (tx) => {
        await tx.setSecret('tx.one', { n: 1 });
        await tx.setSecret('tx.two', { n: 2 });
        expect(await tx.getSecret(z.object({ n: z.number() }), 'tx.one')).toEqual({ n: 1 });
      });
      expect(await rowCount()).toBe(2);
    });

    it('rolls back every operation when one fails', async () => {
      await store.setSecret('tx.kept', { n: 0 });
      const failure = store.transaction(async (tx) => {
        await tx.setSecret('tx.one', { n: 1 });
        await tx.deleteSecret('tx.kept');
        await tx.setSecret('tx.bad', { n: Number.NaN });
      });
      await expect(failure).rejects.toBeInstanceOf(InvalidSecretValueError);
      expect((await store.getSecrets(z.object({ n: z.number() }), 'tx.')).map((entry) => entry.key)).toEqual([
        'tx.kept',
      ]);
    });

    it('joins a transaction the caller opened on its own connection', async () => {
      await testDatabase().inCallerTransaction('rollback', async (connection) => {
        const inTransaction = await createSecretStore({ db: connection, encryption });
        await inTransaction.setSecret('caller.one', { n: 1 });
        expect(await inTransaction.getSecret(z.object({ n: z.number() }), 'caller.one')).toEqual({ n: 1 });
        await inTransaction.close(); // does not end the caller's connection
      });
      expect(await rowCount()).toBe(0);
    });
  });

  describe('createSecretStore', () => {
    it('builds a store over a handle the caller keeps', async () => {
      const created = await createSecretStore({ db: testDatabase().handle, migrate: true, encryption });
      await created.setSecret('created.one', { ok: true });
      await created.close();
      // The handle is still usable after close(): the store did not own it.
      expect(await rowCount()).toBe(1);
    });

    it('opens and releases its own pool from a connection string', async () => {
      const { url, mode } = testDatabase();
      if (mode === 'pglite') {
        // No server here: a connection string that cannot be reached fails as DATABASE_UNAVAILABLE.
        const unreachable = await createSecretStore({
          db: 'postgres://postgres@127.0.0.1:1/none',
          encryption,
          pool: { connectionTimeoutMillis: 2_000 },
        });
        await expect(unreachable.getSecret(z.object({}), 'k')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
        await unreachable.close();
        return;
      }
      const owned = await createSecretStore({ db: url, encryption });
      await owned.setSecret('owned.one', { ok: true });
      expect(await owned.getSecret(z.object({ ok: z.boolean() }), 'owned.one')).toEqual({ ok: true });
      await owned.close();
      await expect(owned.getSecret(z.object({}), 'owned.one')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    });

    it('reads DATABASE_URL and the keyring from the environment it is given', async () => {
      const DATABASE_URL = testDatabase().url ?? 'postgres://postgres@127.0.0.1:1/none';
      // No keyring and no explicit choice: refused before any connection is opened, never a generated key.
      await expect(createSecretStore({ env: { DATABASE_URL } })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        setting: 'SECRETSTORE_ENCRYPTION_KEYS',
      });
      await expect(createSecretStore({ db: DATABASE_URL, env: {} })).rejects.toMatchObject({
        setting: 'SECRETSTORE_ENCRYPTION_KEYS',
      });
      const fromEnv = await createSecretStore({
        env: {
          DATABASE_URL,
          SECRETSTORE_ENCRYPTION_KEYS: `k2:${generateEncryptionKey()},k1:${generateEncryptionKey()}`,
        },
      });
      expect(fromEnv.toJSON()).toMatchObject({ encryption: 'aes-256-gcm', activeKeyId: 'k2', keyIds: ['k2', 'k1'] });
      await fromEnv.close();
    });
  });
});
