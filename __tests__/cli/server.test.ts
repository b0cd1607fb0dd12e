/**
 * The CLI on a PostgreSQL server, run in process against an in-memory PGlite behind a socket: found by
 * --database-url, DATABASE_URL or the PG* variables; status before and after migrating; rows of every encoding;
 * migrations unknown to this version, and one changed after it was applied.
 */
import type { PGlite } from '@electric-sql/pglite';

import { generateEncryptionKey } from '../../src';
import { CANARY, expectErrorLine, expectJson, expectOk, type CliRun, type ReportedError } from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { startPGliteServer, type PGliteServer } from '../support/pglite-server';
import { MIGRATIONS } from '../support/repository-files';

const TIMEOUT = 60_000;

describe('on a PostgreSQL server (in-memory PGlite behind a socket)', () => {
  let server: PGliteServer;
  let db: PGlite;
  let url: string;
  let hostPort: string;
  const k1 = `k1:${generateEncryptionKey()}`;
  const triggerDevKey = 'a'.repeat(32);

  beforeAll(async () => {
    server = await startPGliteServer();
    ({ db, url, hostPort } = server);
  }, TIMEOUT);

  afterAll(async () => {
    await server.close();
  });

  const onServer = (
    args: string[],
    env: Record<string, string> = { SECRETSTORE_ENCRYPTION_KEYS: k1 },
  ): Promise<CliRun> => secretstore(['--database-url', url, ...args], { env });

  it.each([
    { how: '--database-url', args: (): string[] => ['--database-url', url], env: (): Record<string, string> => ({}) },
    { how: 'DATABASE_URL', args: (): string[] => [], env: (): Record<string, string> => ({ DATABASE_URL: url }) },
    {
      how: 'PG* variables',
      args: (): string[] => [],
      env: (): Record<string, string> => {
        const [host, port] = hostPort.split(':');
        return { PGHOST: host, PGPORT: port, PGUSER: 'postgres', PGDATABASE: 'postgres' };
      },
    },
  ])('is found by $how', async ({ args, env }) => {
    const result = await secretstore([...args(), '--json', 'status'], {
      env: { ...env(), SECRETSTORE_ENCRYPTION_KEYS: k1 },
    });
    expect(expectJson(result)).toMatchObject({
      database: { kind: 'server', description: `${hostPort}/postgres` },
      keyring: { activeKeyId: 'k1', keyIds: ['k1'], activeKeyInKeyring: true },
    });
  });

  it(
    'status before and after migrating; rows of every encoding; migrations unknown and changed',
    async () => {
      // Not migrated: status says what is pending and cannot count keys.
      expect(expectJson(await onServer(['--json', 'status']))).toEqual({
        database: { kind: 'server', description: `${hostPort}/postgres`, exists: true },
        migrations: { applied: [], pending: MIGRATIONS, unknown: [] },
        keyring: { activeKeyId: 'k1', algorithm: 'aes-256-gcm', keyIds: ['k1'], activeKeyInKeyring: true, keys: null },
        keysInUse: null,
        allKeysInKeyring: true,
      });
      expect(expectOk(await onServer(['status']))).toBe(
        [
          `database     ${hostPort}/postgres (server)`,
          `migrations   0 applied, ${MIGRATIONS.length} pending (${MIGRATIONS.join(', ')}): run secretstore migrate`,
          'active key   k1',
          'keyring      k1',
          'key check    unknown: the schema is not migrated',
          'keys in use  unknown: the schema is not migrated',
          '',
        ].join('\n'),
      );
      expect(expectErrorLine(await onServer(['get', 'app.token']), 5, 'SCHEMA_NOT_MIGRATED')).toMatch(
        /failed: the database has no secret store schema yet; run `secretstore migrate` first$/,
      );

      expect(expectJson(await onServer(['--json', 'migrate'], {}))).toEqual({
        database: { kind: 'server', description: `${hostPort}/postgres` },
        applied: MIGRATIONS,
        alreadyApplied: [],
        unknown: [],
      });

      // Rows the CLI does not write: plaintext (from before encryption) and trigger.dev's envelope.
      await db.query(
        `INSERT INTO secret_store (key, value, encoding, key_id) VALUES
           ('legacy.plain', '{"token": "plain"}', 'plain', NULL),
           ('legacy.triggerdev', '{"nonce": "00", "ciphertext": "00", "tag": "00"}', 'triggerdev-v2', NULL)`,
      );
      await db.query(
        `INSERT INTO secretstore_migrations (name, checksum) VALUES ('999_from_a_newer_version.sql', 'x')`,
      );
      expect(
        expectJson(await onServer(['--json', 'set', 'app.token', JSON.stringify({ token: CANARY })])),
      ).toMatchObject({
        version: 1,
      });

      const keysInUse = (triggerDev: boolean): unknown => [
        { encoding: 'aes-256-gcm', keyId: 'k1', secrets: 1, inKeyring: true },
        { encoding: 'plain', keyId: null, secrets: 1, inKeyring: true },
        { encoding: 'triggerdev-v2', keyId: null, secrets: 1, inKeyring: triggerDev },
      ];
      expect(expectJson(await onServer(['--json', 'status']))).toMatchObject({
        migrations: { pending: [], unknown: ['999_from_a_newer_version.sql'] },
        keysInUse: keysInUse(false),
        allKeysInKeyring: false,
      });
      const withTriggerDev = { SECRETSTORE_ENCRYPTION_KEYS: k1, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY: triggerDevKey };
      expect(expectJson(await onServer(['--json', 'status'], withTriggerDev))).toMatchObject({
        keysInUse: keysInUse(true),
        allKeysInKeyring: true,
      });
      const human = expectOk(await onServer(['status'], withTriggerDev));
      expect(human).toContain(`\nmigrations   ${MIGRATIONS.length} applied, 0 pending, 1 unknown to this version\n`);
      expect(human.split('\n').slice(-5)).toEqual([
        'KEY ID  ENCODING       SECRETS  IN KEYRING',
        'k1      aes-256-gcm    1        yes',
        '-       plain          1        yes',
        '-       triggerdev-v2  1        yes',
        '',
      ]);

      expect(expectOk(await onServer(['migrate'], {}))).toBe(
        [
          `database         ${hostPort}/postgres (server)`,
          'applied          none',
          `already applied  ${MIGRATIONS.join(', ')}`,
          'unknown          999_from_a_newer_version.sql (applied by a newer version)',
          '',
        ].join('\n'),
      );

      // The plaintext row moves under k1 (same version: rotation is not a write of a new value); the trigger.dev
      // row, not a real envelope, is reported and left: the rotation is not done, exit 5, the summary printed.
      const rotation = await onServer(['--json', 'rotate-keys'], withTriggerDev);
      expect({ code: rotation.code, stderr: rotation.stderr }).toEqual({ code: 5, stderr: '' });
      expect(JSON.parse(rotation.stdout)).toEqual({
        activeKeyId: 'k1',
        algorithm: 'aes-256-gcm',
        scanned: 2,
        reEncrypted: 1,
        skipped: 0,
        failed: [{ key: 'legacy.triggerdev', version: 1, code: 'SECRET_CORRUPT' }],
        auditCheckpointsResealed: 0,
      });
      expect(expectJson(await onServer(['--json', 'list', 'legacy.']))).toMatchObject({
        secrets: [
          { key: 'legacy.plain', encoding: 'aes-256-gcm', keyId: 'k1', version: 1 },
          { key: 'legacy.triggerdev', encoding: 'triggerdev-v2', keyId: null, version: 1 },
        ],
      });
      expect(expectJson(await onServer(['--json', 'get', 'legacy.plain']))).toEqual({
        key: 'legacy.plain',
        value: { token: 'plain' },
      });

      // A migration edited after it was applied: status says so, migrate refuses (5), with the stack under --debug.
      await db.query(`UPDATE secretstore_migrations SET checksum = 'edited' WHERE name = $1`, [MIGRATIONS[0]]);
      expect(expectOk(await onServer(['status']))).toContain(
        `\nmigrations   ${MIGRATIONS.length} applied (1 changed since), 0 pending, 1 unknown to this version\n`,
      );
      expect(expectErrorLine(await onServer(['migrate'], {}), 5, 'MIGRATION_CHECKSUM_MISMATCH')).toContain(
        MIGRATIONS[0],
      );
      const debug = await onServer(['--json', '--debug', 'migrate'], {});
      expect(debug.code).toBe(5);
      const { error } = JSON.parse(debug.stderr) as { error: ReportedError };
      expect(error).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
      expect(error.stack).toMatch(/^MigrationChecksumMismatchError: Migration .+\n {4}at /);
    },
    TIMEOUT,
  );
});

describe('SECRETSTORE_ENCRYPTION_ALGORITHM', () => {
  let server: PGliteServer;
  const k1 = `k1:${generateEncryptionKey()}`;

  beforeAll(async () => {
    server = await startPGliteServer();
  }, TIMEOUT);

  afterAll(async () => {
    await server.close();
  });

  const run = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    secretstore(['--database-url', server.url, ...args], { env: { SECRETSTORE_ENCRYPTION_KEYS: k1, ...env } });

  it(
    'writes XChaCha20-Poly1305 when set, reads it either way, and rotate-keys moves rows to what the keyring writes',
    async () => {
      expectOk(await run(['migrate']));
      const xchacha = { SECRETSTORE_ENCRYPTION_ALGORITHM: 'xchacha20-poly1305' };
      expectOk(await run(['set', 'algo.a', JSON.stringify({ token: CANARY })], xchacha));
      expect(expectJson(await run(['--json', 'list', 'algo.']))).toMatchObject({
        secrets: [{ key: 'algo.a', encoding: 'xchacha20-poly1305', keyId: 'k1' }],
      });
      expect(expectJson(await run(['--json', 'get', 'algo.a']))).toEqual({ key: 'algo.a', value: { token: CANARY } });
      expect(expectJson(await run(['--json', 'rotate-keys']))).toMatchObject({ reEncrypted: 1, failed: [] });
      expect(expectJson(await run(['--json', 'list', 'algo.']))).toMatchObject({
        secrets: [{ key: 'algo.a', encoding: 'aes-256-gcm', keyId: 'k1' }],
      });
      expectErrorLine(
        await run(['get', 'algo.a'], { SECRETSTORE_ENCRYPTION_ALGORITHM: 'chacha' }),
        3,
        'INVALID_CONFIGURATION',
      );
    },
    TIMEOUT,
  );
});
