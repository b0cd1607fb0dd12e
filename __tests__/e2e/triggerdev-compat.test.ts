/**
 * Rows imported from trigger.dev's "SecretStore" table, written exactly as its PrismaSecretStore writes them
 * (apps/webapp/app/services/secrets/secretStore.server.ts):
 *   version "1": the secret itself as JSON;
 *   version "2": { nonce, ciphertext, tag } in hex, AES-256-GCM under ENCRYPTION_KEY (a 32-character
 *                string used as the key bytes), no additional authenticated data.
 *
 * A trigger.dev user copies them over with the statement below (IMPORT_FROM_TRIGGER_DEV), which this file
 * runs against a "SecretStore" table shaped as trigger.dev's Prisma migration creates it.
 */
import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import {
  createSecretStore,
  generateEncryptionKey,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { triggerDevEnvelope } from '../support/envelopes';

const testDatabase = useTestDatabase();

/** trigger.dev's "SecretStore" table (Prisma: key String @unique, value Json, version String @default("1"), …). */
const CREATE_TRIGGER_DEV_TABLE = [
  `CREATE TABLE "SecretStore" (
     "key"       TEXT         NOT NULL,
     "value"     JSONB        NOT NULL,
     "version"   TEXT         NOT NULL DEFAULT '1',
     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
     "updatedAt" TIMESTAMP(3) NOT NULL
   )`,
  'CREATE UNIQUE INDEX "SecretStore_key_key" ON "SecretStore"("key")',
];

/**
 * The import a trigger.dev user runs: version "2" rows keep their envelope as `triggerdev-v2` (read with
 * SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY until rotateEncryptionKeys re-encrypts them), version "1" rows are
 * `plain`. Prisma keeps DateTime as UTC in timestamp(3) columns, hence AT TIME ZONE 'UTC'.
 */
const IMPORT_FROM_TRIGGER_DEV = `
  INSERT INTO secret_store (key, value, encoding, key_id, created_at, updated_at)
  SELECT "key",
         "value",
         CASE "version" WHEN '2' THEN 'triggerdev-v2' ELSE 'plain' END,
         NULL,
         "createdAt" AT TIME ZONE 'UTC',
         "updatedAt" AT TIME ZONE 'UTC'
  FROM "SecretStore"
`;

/** trigger.dev's ENCRYPTION_KEY: 32 characters (`openssl rand -hex 16`), used as 32 UTF-8 bytes. */
const ENCRYPTION_KEY = randomBytes(16).toString('hex');
const WRONG_ENCRYPTION_KEY = randomBytes(16).toString('hex');
const KEYS = `k1:${generateEncryptionKey()}`;

const OAuthToken = z.object({ accessToken: z.string(), refreshToken: z.string(), scopes: z.array(z.string()) });
type OAuthTokenValue = z.infer<typeof OAuthToken>;

const V2_KEY = 'oauth.github.token';
const V2_VALUE: OAuthTokenValue = {
  accessToken: 'gho_\u00e9\u{1f511}"quoted"\\',
  refreshToken: 'ghr_2',
  scopes: ['repo', 'read:user'],
};
const OTHER_V2_KEY = 'oauth.slack.token';
const OTHER_V2_VALUE: OAuthTokenValue = { accessToken: 'xoxp-1', refreshToken: 'xoxr-1', scopes: ['chat:write'] };
const V1_KEY = 'oauth.legacy.token';
const V1_VALUE: OAuthTokenValue = { accessToken: 'plain-1', refreshToken: 'plain-r', scopes: [] };
const CREATED_AT = '2024-01-02 03:04:05.678';

/** Writes the three rows into trigger.dev's table, as trigger.dev would, and imports them. */
async function importFromTriggerDev(): Promise<void> {
  const { database } = testDatabase();
  await database.query('TRUNCATE "SecretStore"', []);
  const insert = `INSERT INTO "SecretStore" ("key", "value", "version", "createdAt", "updatedAt")
                  VALUES ($1, $2::jsonb, $3, $4, $4)`;
  const v2 = (value: OAuthTokenValue) => JSON.stringify(triggerDevEnvelope(ENCRYPTION_KEY, JSON.stringify(value)));
  await database.query(insert, [V2_KEY, v2(V2_VALUE), '2', CREATED_AT]);
  await database.query(insert, [OTHER_V2_KEY, v2(OTHER_V2_VALUE), '2', CREATED_AT]);
  await database.query(insert, [V1_KEY, JSON.stringify(V1_VALUE), '1', CREATED_AT]);
  await database.query(IMPORT_FROM_TRIGGER_DEV, []);
}

function storeWith(legacyTriggerDevKey?: string): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
    encryption: { ...parseEncryptionKeys(KEYS), ...(legacyTriggerDevKey === undefined ? {} : { legacyTriggerDevKey }) },
  });
}

async function storedRows(): Promise<{ key: string; encoding: string; key_id: string | null; version: number }[]> {
  const { rows } = await testDatabase().database.query(
    'SELECT key, encoding, key_id, version FROM secret_store ORDER BY key',
    [],
  );
  return rows as { key: string; encoding: string; key_id: string | null; version: number }[];
}

/** Copies one row's stored value over another's, as someone with write access to the table could. */
async function copyStoredValue(from: string, to: string): Promise<void> {
  await testDatabase().database.query(
    'UPDATE secret_store SET value = (SELECT value FROM secret_store WHERE key = $1) WHERE key = $2',
    [from, to],
  );
}

beforeAll(async () => {
  for (const statement of CREATE_TRIGGER_DEV_TABLE) await testDatabase().database.query(statement, []);
});

beforeEach(async () => {
  await testDatabase().reset();
  await importFromTriggerDev();
});

describe('secrets imported from trigger.dev', () => {
  it('imports version 2 rows as triggerdev-v2 and version 1 rows as plain, keeping their timestamps', async () => {
    expect(await storedRows()).toEqual([
      { key: V2_KEY, encoding: 'triggerdev-v2', key_id: null, version: 1 },
      { key: V1_KEY, encoding: 'plain', key_id: null, version: 1 },
      { key: OTHER_V2_KEY, encoding: 'triggerdev-v2', key_id: null, version: 1 },
    ]);
    const { rows } = await testDatabase().database.query(
      `SELECT count(*)::int AS n FROM secret_store WHERE created_at = $1::timestamp AT TIME ZONE 'UTC'`,
      [CREATED_AT],
    );
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('reads both versions with legacyTriggerDevKey in the options', async () => {
    const store = storeWith(ENCRYPTION_KEY);
    expect(await store.getSecret(OAuthToken, V2_KEY)).toStrictEqual(V2_VALUE);
    expect(await store.getSecret(OAuthToken, OTHER_V2_KEY)).toStrictEqual(OTHER_V2_VALUE);
    expect(await store.getSecretOrThrow(OAuthToken, V1_KEY)).toStrictEqual(V1_VALUE);
    expect(await store.getSecrets(OAuthToken, 'oauth.')).toStrictEqual([
      { key: V2_KEY, value: V2_VALUE },
      { key: V1_KEY, value: V1_VALUE },
      { key: OTHER_V2_KEY, value: OTHER_V2_VALUE },
    ]);
  });

  it('reads both versions with SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY in the environment', async () => {
    const store = await createSecretStore({
      db: testDatabase().handle,
      env: { SECRETSTORE_ENCRYPTION_KEYS: KEYS, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    try {
      expect(store.toJSON()).toMatchObject({ legacyTriggerDevKey: '<configured>' });
      expect(await store.getSecret(OAuthToken, V2_KEY)).toStrictEqual(V2_VALUE);
      expect(await store.getSecret(OAuthToken, V1_KEY)).toStrictEqual(V1_VALUE);
    } finally {
      await store.close();
    }
  });

  it('refuses a version 2 row without the legacy key, and still reads the plain one', async () => {
    const fromEnv = await createSecretStore({ db: testDatabase().handle, env: { SECRETSTORE_ENCRYPTION_KEYS: KEYS } });
    for (const store of [storeWith(), fromEnv]) {
      await expect(store.getSecret(OAuthToken, V2_KEY)).rejects.toMatchObject({
        code: 'SECRET_DECRYPTION_FAILED',
        key: V2_KEY,
      });
      expect(await store.getSecret(OAuthToken, V1_KEY)).toStrictEqual(V1_VALUE);
    }
    await fromEnv.close();
  });

  it('refuses a version 2 row with the wrong legacy key', async () => {
    const store = storeWith(WRONG_ENCRYPTION_KEY);
    const error = await store.getSecret(OAuthToken, V2_KEY).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SECRET_DECRYPTION_FAILED', key: V2_KEY });
    expect(String(error)).not.toContain(ENCRYPTION_KEY);
    expect(String(error)).not.toContain(WRONG_ENCRYPTION_KEY);
  });

  it('upgrades both versions to the active key on rotation, readable without the legacy key', async () => {
    const result = await storeWith(ENCRYPTION_KEY).rotateEncryptionKeys();
    expect(result).toEqual({ scanned: 3, reEncrypted: 3, skipped: 0, failed: [], auditCheckpointsResealed: 0 });
    expect(await storedRows()).toEqual([
      { key: V2_KEY, encoding: 'aes-256-gcm', key_id: 'k1', version: 1 },
      { key: V1_KEY, encoding: 'aes-256-gcm', key_id: 'k1', version: 1 },
      { key: OTHER_V2_KEY, encoding: 'aes-256-gcm', key_id: 'k1', version: 1 },
    ]);

    const withoutLegacyKey = storeWith();
    expect(await withoutLegacyKey.getSecrets(OAuthToken, 'oauth.')).toStrictEqual([
      { key: V2_KEY, value: V2_VALUE },
      { key: V1_KEY, value: V1_VALUE },
      { key: OTHER_V2_KEY, value: OTHER_V2_VALUE },
    ]);
    // The plaintext of the version 1 row is gone from the table.
    const { rows } = await testDatabase().database.query('SELECT value::text AS value FROM secret_store', []);
    expect(JSON.stringify(rows)).not.toContain('plain-1');
  });

  it('decrypts a trigger.dev ciphertext copied to another row (no additional data), but not once rotated', async () => {
    const store = storeWith(ENCRYPTION_KEY);
    // trigger.dev's weakness: its envelope is bound to the key only, so a swapped row reads as the other secret.
    await copyStoredValue(V2_KEY, OTHER_V2_KEY);
    expect(await store.getSecret(OAuthToken, OTHER_V2_KEY)).toStrictEqual(V2_VALUE);

    await testDatabase().reset();
    await importFromTriggerDev();
    await store.rotateEncryptionKeys();
    // Our envelope binds the secret's key (additional authenticated data): the same swap fails.
    await copyStoredValue(V2_KEY, OTHER_V2_KEY);
    await expect(store.getSecret(OAuthToken, OTHER_V2_KEY)).rejects.toMatchObject({
      code: 'SECRET_DECRYPTION_FAILED',
      key: OTHER_V2_KEY,
    });
    expect(await store.getSecret(OAuthToken, V2_KEY)).toStrictEqual(V2_VALUE);
  });
});
