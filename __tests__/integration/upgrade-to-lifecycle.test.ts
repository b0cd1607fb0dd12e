/**
 * A database the previous release made and filled, upgraded to the secret lifecycle by migrate(): migrations up
 * to 003 only, secrets written as that release wrote them ('plain' JSONB, our version 1 envelope, trigger.dev's
 * envelope imported), one key deleted (its tombstone kept by 003's trigger); then migrate() applies 004. Every
 * secret must keep its value and version, become its own one kept version, and take part in everything the
 * lifecycle adds: history, restore, rotation over every version, the audit trail, and versions that never repeat.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { z } from 'zod';

import { createScratchDatabase } from '../../scripts/scratch-database';
import {
  EncryptionKey,
  migrate,
  PostgresSecretStoreRepository,
  SecretStore,
  type KeyringOptions,
  type StoredValue,
} from '../../src';
import type { Database } from '../../src/database/database';
import { MIGRATIONS_DIRECTORY } from '../../src/database/migrate';
import { createPool } from '../../src/database/pool';
import { toDatabase } from '../../src/database/to-database';
import { keyFingerprint, keyObjectOf } from '../../src/encryption/encryption-key';
import { HARNESS_MODE_VARIABLE, HARNESS_SERVER_VARIABLE } from '../harness/mode';
import { sealedValue, triggerDevValue } from '../support/envelopes';
import { useTemporaryFolder } from '../support/temporary-folder';

const TIMEOUT = 60_000;
const LIFECYCLE_MIGRATION = '004_secret_lifecycle.sql';
const PACKAGE_MIGRATIONS = readdirSync(MIGRATIONS_DIRECTORY)
  .filter((name) => name.endsWith('.sql'))
  .sort();
/** What the previous release shipped: every migration before the lifecycle's. */
const PREVIOUS_MIGRATIONS = PACKAGE_MIGRATIONS.filter((name) => name < LIFECYCLE_MIGRATION);

const Value = z.object({ token: z.string(), n: z.number() });
type Value = z.infer<typeof Value>;

// k0 wrote before the last key change and k1 since; trigger.dev's ENCRYPTION_KEY is a 32-character string.
const K0 = randomBytes(32);
const K1 = randomBytes(32);
const TRIGGER_DEV_KEY = randomBytes(16).toString('hex');

/** The keyring after the upgrade: k1 active, k0 still there, trigger.dev's key for the rows it wrote. */
function fullKeyring(): KeyringOptions {
  return {
    keys: { k1: EncryptionKey.fromBytes(K1), k0: EncryptionKey.fromBytes(K0) },
    activeKeyId: 'k1',
    legacyTriggerDevKey: TRIGGER_DEV_KEY,
  };
}

const CREATED_AT = new Date('2025-01-02T03:04:05.006Z');
const UPDATED_AT = new Date('2025-06-07T08:09:10.011Z');

interface LegacySecret {
  key: string;
  value: Value;
  /** The version the previous release had counted to. */
  version: number;
  stored: StoredValue;
}

const valueOf = (key: string): Value => ({ token: `${key}-\u00e9\u{1f511}"quoted"`, n: key.length });

/** One secret in each encoding the previous release wrote, at versions it had counted to. */
function legacySecrets(): LegacySecret[] {
  const secret = (key: string, version: number, seal: (plaintext: string) => StoredValue): LegacySecret => ({
    key,
    value: valueOf(key),
    version,
    stored: seal(JSON.stringify(valueOf(key))),
  });
  return [
    secret('legacy.plain', 3, (plaintext) => ({ valueJson: plaintext, encoding: 'plain', keyId: null })),
    secret('legacy.k0', 7, (plaintext) => sealedValue(K0, 'k0', 'legacy.k0', plaintext)),
    secret('legacy.k1', 2, (plaintext) => sealedValue(K1, 'k1', 'legacy.k1', plaintext)),
    secret('legacy.triggerdev', 1, (plaintext) => triggerDevValue(TRIGGER_DEV_KEY, plaintext)),
  ];
}

/** Legacy secrets the rotation re-encrypts: every one not under the active key k1. */
const NOT_UNDER_K1 = ['legacy.k0', 'legacy.plain', 'legacy.triggerdev'];
/** A key the previous release wrote up to this version, then deleted: 003 keeps its tombstone. */
const DELETED_KEY = 'legacy.deleted';
const DELETED_AT_VERSION = 4;

interface EmptyDatabase {
  handle: Pool | PGlite;
  database: Database;
  close(): Promise<void>;
}

/**
 * A database nothing has touched, on whatever the harness chose: a scratch database on the server for each
 * test; in PGlite, one instance per file (opening one takes seconds) whose schema each test starts from empty.
 */
function useEmptyDatabases(): () => Promise<EmptyDatabase> {
  const serverUrl = process.env[HARNESS_SERVER_VARIABLE];
  if (process.env[HARNESS_MODE_VARIABLE] === 'server' && serverUrl) {
    return async () => {
      const scratch = await createScratchDatabase(serverUrl, 'secretstore_upgrade');
      const pool = createPool({ connectionString: scratch.url }, { max: 4 });
      return {
        handle: pool,
        database: toDatabase(pool),
        async close() {
          await pool.end();
          await scratch.drop();
        },
      };
    };
  }
  let pglite: PGlite | undefined;
  beforeAll(async () => {
    pglite = await PGlite.create();
  }, TIMEOUT);
  afterAll(() => pglite?.close());
  return async () => {
    if (pglite === undefined) throw new Error('PGlite did not open');
    const database = toDatabase(pglite);
    await database.query('DROP SCHEMA public CASCADE', []);
    await database.query('CREATE SCHEMA public', []);
    return { handle: pglite, database, close: () => Promise.resolve() };
  };
}

/** The previous release's state: its migrations, its rows, its key fingerprints, one key deleted. */
async function fillAsPreviousRelease(database: Database, migrationsFolder: string): Promise<void> {
  for (const name of PREVIOUS_MIGRATIONS) {
    copyFileSync(path.join(MIGRATIONS_DIRECTORY, name), path.join(migrationsFolder, name));
  }
  expect(await migrate(database, { directory: migrationsFolder })).toEqual({
    applied: PREVIOUS_MIGRATIONS,
    alreadyApplied: [],
    unknown: [],
  });
  const insert = `INSERT INTO secret_store (key, value, encoding, key_id, version, created_at, updated_at)
                  VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7)`;
  for (const { key, version, stored } of legacySecrets()) {
    await database.query(insert, [
      key,
      stored.valueJson,
      stored.encoding,
      stored.keyId,
      version,
      CREATED_AT,
      UPDATED_AT,
    ]);
  }
  const deleted = sealedValue(K1, 'k1', DELETED_KEY, JSON.stringify(valueOf(DELETED_KEY)));
  await database.query(insert, [
    DELETED_KEY,
    deleted.valueJson,
    'aes-256-gcm',
    'k1',
    DELETED_AT_VERSION,
    CREATED_AT,
    UPDATED_AT,
  ]);
  await database.query('DELETE FROM secret_store WHERE key = $1', [DELETED_KEY]);
  for (const [keyId, material] of [
    ['k0', K0],
    ['k1', K1],
  ] as const) {
    await database.query('INSERT INTO secret_store_key_fingerprints (key_id, fingerprint) VALUES ($1, $2)', [
      keyId,
      keyFingerprint(keyObjectOf(EncryptionKey.fromBytes(material))),
    ]);
  }
}

interface StoredRow {
  key: string;
  version: number;
  encoding: string;
  key_id: string | null;
  value: string;
}

async function rowsOf(database: Database, table: 'secret_store' | 'secret_versions'): Promise<StoredRow[]> {
  const { rows } = await database.query(
    `SELECT key, version, encoding, key_id, value::text AS value FROM ${table} WHERE value IS NOT NULL ORDER BY key, version`,
    [],
  );
  return rows as StoredRow[];
}

const openEmptyDatabase = useEmptyDatabases();
const migrationsFolder = useTemporaryFolder('secretstore-previous-migrations-');
let opened: EmptyDatabase;
let store: SecretStore;

function storeWith(encryption: KeyringOptions): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(opened.handle), { encryption });
}

beforeEach(async () => {
  opened = await openEmptyDatabase();
  await fillAsPreviousRelease(opened.database, migrationsFolder.path);
  const upgrade = await migrate(opened.database);
  expect(upgrade).toEqual({
    applied: PACKAGE_MIGRATIONS.filter((name) => !PREVIOUS_MIGRATIONS.includes(name)),
    alreadyApplied: PREVIOUS_MIGRATIONS,
    unknown: [],
  });
  expect(upgrade.applied[0]).toBe(LIFECYCLE_MIGRATION);
  store = storeWith(fullKeyring());
}, TIMEOUT);

afterEach(async () => {
  await opened?.close();
}, TIMEOUT);

describe('a database of the previous release, upgraded to the lifecycle', () => {
  it(
    'reads every secret with its value, version and times, and lists them; the deleted one stays missing',
    async () => {
      for (const { key, value, version } of legacySecrets()) {
        expect(await store.getSecretWithMetadata(Value, key)).toEqual({
          value,
          version,
          createdAt: CREATED_AT,
          updatedAt: UPDATED_AT,
        });
      }
      expect(await store.getSecret(Value, DELETED_KEY)).toBeUndefined();
      const { secrets } = await store.listSecrets({ prefix: 'legacy.', includeDeleted: true });
      expect(secrets.map(({ key, version, deletedAt }) => ({ key, version, deletedAt }))).toEqual(
        legacySecrets()
          .map(({ key, version }) => ({ key, version, deletedAt: null }))
          .sort((a, b) => (a.key < b.key ? -1 : 1)),
      );
      expect(await store.checkEncryptionKeys()).toEqual([
        { keyId: 'k0', state: 'recorded' },
        { keyId: 'k1', state: 'recorded' },
      ]);
    },
    TIMEOUT,
  );

  it(
    'keeps each secret’s current version, and only it, as its history, readable by getSecretVersion',
    async () => {
      for (const { key, value, version } of legacySecrets()) {
        expect(await store.listSecretVersions(key)).toEqual([
          { version, createdAt: UPDATED_AT, deletedAt: null, destroyed: false },
        ]);
        expect(await store.getSecretVersion(Value, key, version)).toEqual(value);
        expect(await store.getSecretVersion(Value, key, version + 1)).toBeUndefined();
        if (version > 1) expect(await store.getSecretVersion(Value, key, version - 1)).toBeUndefined();
      }
      expect(await store.listSecretVersions(DELETED_KEY)).toEqual([]);
      // Each kept version is the row as the previous release stored it, untouched.
      expect(await rowsOf(opened.database, 'secret_versions')).toEqual(await rowsOf(opened.database, 'secret_store'));
    },
    TIMEOUT,
  );

  it(
    'writes the next version over each, keeping the upgraded one as history to read and restore',
    async () => {
      for (const { key, value, version } of legacySecrets()) {
        const next = { token: `${key}-next`, n: version + 1 };
        expect(await store.setSecret(key, next, { actor: 'upgrade-test' })).toEqual({ version: version + 1 });
        expect((await store.listSecretVersions(key)).map((info) => info.version)).toEqual([version + 1, version]);
        expect(await store.getSecretVersion(Value, key, version)).toEqual(value);
        expect(await store.getSecretVersion(Value, key, version + 1)).toEqual(next);

        expect(await store.restoreSecretVersion(key, version)).toEqual({ version: version + 2 });
        expect(await store.getSecretWithMetadata(Value, key)).toMatchObject({ value, version: version + 2 });
        const { records } = await store.readAuditTrail({ key });
        expect(records.map(({ operation, versions }) => ({ operation, versions }))).toEqual([
          { operation: 'set', versions: [version + 1] },
          { operation: 'restore', versions: [version + 2] },
        ]);
      }
      expect(await store.verifyAuditTrail()).toMatchObject({ ok: true });
    },
    TIMEOUT,
  );

  it(
    'rotates every kept version of the three encodings to the active key, current and history alike',
    async () => {
      // legacy.plain's upgraded version becomes history only; the others stay current.
      expect(await store.setSecret('legacy.plain', { token: 'new', n: 0 })).toEqual({ version: 4 });

      const rotation = await store.rotateEncryptionKeys({ actor: 'upgrade-test' });
      expect(rotation).toMatchObject({ scanned: 3, reEncrypted: 3, skipped: 0, failed: [] });
      expect(await store.encryptionUsage()).toEqual([{ encoding: 'aes-256-gcm', keyId: 'k1', secrets: 5 }]);

      // The version 1 envelope already under k1 is left as it is; every other row moved to envelope version 2.
      const kept = await rowsOf(opened.database, 'secret_versions');
      for (const row of kept) {
        const envelope = JSON.parse(row.value) as { v: number; kid: string };
        expect({ key: row.key, encoding: row.encoding, keyId: row.key_id, kid: envelope.kid }).toEqual({
          key: row.key,
          encoding: 'aes-256-gcm',
          keyId: 'k1',
          kid: 'k1',
        });
        expect(envelope.v).toBe(row.key === 'legacy.k1' ? 1 : 2);
      }
      // A current version's two copies are rewritten together.
      const current = await rowsOf(opened.database, 'secret_store');
      for (const row of current) expect(kept).toContainEqual(row);

      // Nothing needs k0 or trigger.dev's key any more; versions and times are as they were.
      const k1Only = storeWith({ keys: { k1: EncryptionKey.fromBytes(K1) }, activeKeyId: 'k1' });
      for (const { key, value, version } of legacySecrets()) {
        expect(await k1Only.getSecretVersion(Value, key, version)).toEqual(value);
        const latest = key === 'legacy.plain' ? { value: { token: 'new', n: 0 }, version: 4 } : { value, version };
        expect(await k1Only.getSecretWithMetadata(Value, key)).toEqual({
          ...latest,
          createdAt: CREATED_AT,
          updatedAt: key === 'legacy.plain' ? (expect.any(Date) as Date) : UPDATED_AT,
        });
      }
      const rotated = await store.readAuditTrail();
      expect(
        rotated.records
          .filter(({ operation }) => operation === 'rotate')
          .map(({ key, versions }) => ({ key, versions })),
      ).toEqual(
        legacySecrets()
          .filter(({ key }) => NOT_UNDER_K1.includes(key))
          .map(({ key, version }) => ({ key, versions: [version] }))
          .sort((a, b) => (a.key < b.key ? -1 : 1)),
      );
      expect(await k1Only.verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
    },
    TIMEOUT,
  );

  it(
    'continues versions across a delete before the upgrade and a soft delete, destroy or purge after it',
    async () => {
      // Deleted by the previous release: the tombstone 003 kept says where it stopped.
      expect(await store.setSecret(DELETED_KEY, valueOf(DELETED_KEY))).toEqual({ version: DELETED_AT_VERSION + 1 });
      expect((await store.listSecretVersions(DELETED_KEY)).map(({ version }) => version)).toEqual([
        DELETED_AT_VERSION + 1,
      ]);

      // Soft-deleted after: its upgraded version stays, marked, and comes back.
      expect(await store.deleteSecret('legacy.plain')).toBe(true);
      expect(await store.getSecret(Value, 'legacy.plain')).toBeUndefined();
      expect(await store.listSecretVersions('legacy.plain')).toEqual([
        { version: 3, createdAt: UPDATED_AT, deletedAt: expect.any(Date) as Date, destroyed: false },
      ]);
      expect(await store.undeleteSecret('legacy.plain')).toBe(true);
      expect(await store.getSecretWithMetadata(Value, 'legacy.plain')).toMatchObject({
        value: valueOf('legacy.plain'),
        version: 3,
      });
      expect(await store.deleteSecret('legacy.plain')).toBe(true);
      expect(await store.setSecret('legacy.plain', { token: 'again', n: 4 })).toEqual({ version: 4 });

      // Destroyed after: the row goes, its version is not reused.
      expect(await store.destroySecret('legacy.triggerdev')).toEqual({ destroyed: [1] });
      expect(await store.getSecretVersion(Value, 'legacy.triggerdev', 1)).toBeUndefined();
      expect(await store.setSecret('legacy.triggerdev', { token: 'again', n: 2 })).toEqual({ version: 2 });

      // Purged after: nothing of it stays but the version it reached.
      expect(await store.deleteSecret('legacy.k0')).toBe(true);
      expect(await store.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: ['legacy.k0'] });
      expect(await store.listSecretVersions('legacy.k0')).toEqual([]);
      expect(await store.setSecret('legacy.k0', { token: 'again', n: 8 })).toEqual({ version: 8 });

      expect(await store.verifyAuditTrail()).toMatchObject({ ok: true });
    },
    TIMEOUT,
  );

  it(
    'verifies its audit trail from the first record after the upgrade, sealed and not',
    async () => {
      expect(await store.verifyAuditTrail()).toMatchObject({ ok: true, checked: 0 });
      for (const { key, version } of legacySecrets()) {
        await store.setSecret(key, { token: 'audited', n: version + 1 }, { metadata: { description: 'upgraded' } });
      }
      await store.updateSecretMetadata('legacy.k1', { tags: { team: 'core' } });
      await store.deleteSecret('legacy.k1');
      await store.undeleteSecret('legacy.k1');
      expect(await store.verifyAuditTrail()).toMatchObject({ ok: true, checked: 7, unsealed: 7 });

      const head = await store.sealAuditTrail();
      expect(head.records).toBe(7);
      await store.setSecret('legacy.k1', { token: 'after seal', n: 4 });
      expect(await store.verifyAuditTrail({ head })).toMatchObject({ ok: true, checked: 8, unsealed: 1 });
    },
    TIMEOUT,
  );
});
