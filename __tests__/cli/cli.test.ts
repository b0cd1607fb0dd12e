/**
 * The `secretstore` CLI, run for real: each case spawns `node --import tsx src/cli/main.ts` with its own
 * temporary data folder (embedded PGlite) and an environment without DATABASE_URL, PG* or SECRETSTORE_*,
 * so that it runs on a bare machine. When the harness has a PostgreSQL server, one round trip runs there too.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createScratchDatabase } from '../../scripts/scratch-database';
import { generateEncryptionKey } from '../../src';
import { HARNESS_SERVER_VARIABLE } from '../harness/mode';
import { useCliFolder } from '../support/cli-folder';
import {
  CANARY,
  expectErrorLine,
  expectJson,
  expectJsonError,
  expectNoSecretIn,
  expectOk,
  ISO_TIME,
  SHORT_CANARY,
  TABLE_TIME,
  DEVELOPMENT_KEY_WARNING,
  type CliRun,
  type Json,
} from '../support/cli-output';
import { spawnSecretstore, type CliProcessOptions } from '../support/cli-process';
import { MIGRATIONS, TESTDATA_FILE, testdata } from '../support/repository-files';

// Each case starts several processes that each load TypeScript and open PGlite: a minute on a busy machine.
const TIMEOUT = 180_000;
const ANY_STRING = expect.any(String) as unknown;

const folder = useCliFolder('secretstore-cli-');

/** Runs the CLI on this test's data folder. */
const inDataDir = (args: readonly string[], options?: CliProcessOptions): Promise<CliRun> =>
  spawnSecretstore(folder.inDataDir(...args), options);

describe('secretstore keygen', () => {
  it(
    'prints id:<base64 of 32 bytes>, a fresh key each time, and opens no database',
    async () => {
      const [human, json, badId] = await Promise.all([
        inDataDir(['keygen']),
        inDataDir(['--json', 'keygen', '--id', 'k7']),
        inDataDir(['keygen', '--id', 'not a key id']),
      ]);

      const [, humanKey] = /^k1:([A-Za-z0-9+/]{43}=)\n$/.exec(expectOk(human, 'silent')) ?? [];
      expect(Buffer.from(humanKey, 'base64')).toHaveLength(32);

      const generated = expectJson(json, 'silent');
      expect(generated).toEqual({ id: 'k7', key: ANY_STRING, entry: `k7:${String(generated.key)}` });
      expect(Buffer.from(String(generated.key), 'base64')).toHaveLength(32);
      expect(generated.key).not.toBe(humanKey);

      expect(expectErrorLine(badId, 2, 'USAGE')).toContain('--id');
      expect(existsSync(folder.dataDir)).toBe(false);
    },
    TIMEOUT,
  );
});

describe('help', () => {
  it(
    'documents the exit codes, on stdout, with exit 0',
    async () => {
      const help = await spawnSecretstore(['--help']);
      expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/^Usage: secretstore /);
      for (const code of [
        '0  success',
        '1  not found',
        '2  usage',
        '3  configuration',
        '4  database unreachable',
        '5  any other failure',
      ]) {
        expect(help.stdout).toContain(`\n  ${code}`);
      }
    },
    TIMEOUT,
  );
});

describe('usage errors', () => {
  it(
    'exit 2 with one line on stderr, before any database is opened, never echoing the input',
    async () => {
      const file = folder.writeJson('value.json', { token: CANARY });
      const [unknown, missing, invalid, both, invalidJsonMode] = await Promise.all([
        inDataDir(['frobnicate']),
        inDataDir(['get']),
        inDataDir(['set', 'api.token', `{"token": "${CANARY}",`]),
        inDataDir(['set', 'api.token', '{}', '--file', file]),
        inDataDir(['--json', 'set', 'api.token'], { input: SHORT_CANARY }),
      ]);
      expect(expectErrorLine(unknown, 2, 'USAGE')).toContain("unknown command 'frobnicate'");
      expect(expectErrorLine(missing, 2, 'USAGE')).toContain("missing required argument 'key'");
      expect(expectErrorLine(invalid, 2, 'INVALID_JSON')).toContain('the value argument is not valid JSON');
      expect(expectErrorLine(both, 2, 'USAGE')).toContain('not both');
      expect(expectJsonError(invalidJsonMode, 2, 'INVALID_JSON').message).toBe(
        'the value on stdin is not valid JSON at line 1, column 1',
      );
      expect(existsSync(folder.dataDir)).toBe(false);
    },
    TIMEOUT,
  );
});

describe('configuration and database errors', () => {
  it(
    'refuses a server without a keyring (3) before connecting, reports an unreachable one (4), and a bad keyring (3)',
    async () => {
      const keyring = { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}` };
      const shortKey = randomBytes(16).toString('base64');
      const [noKeyring, unreachable, migrateUnreachable, badKeyring] = await Promise.all([
        spawnSecretstore(['--json', '--database-url', 'postgres://127.0.0.1:1/x', 'list']),
        spawnSecretstore(['--database-url', `postgres://app:${CANARY}@127.0.0.1:1/x`, 'get', 'oauth.github'], {
          env: keyring,
        }),
        // Migrations need no keyring: this one gets as far as connecting.
        spawnSecretstore(['--database-url', 'postgres://127.0.0.1:1/x', 'migrate']),
        inDataDir(['list'], { env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${shortKey}` } }),
      ]);

      // Had it tried to connect, the error would have been DATABASE_UNAVAILABLE (4).
      expect(expectJsonError(noKeyring, 3, 'INVALID_CONFIGURATION').message).toContain('SECRETSTORE_ENCRYPTION_KEYS');
      expect(expectErrorLine(unreachable, 4, 'DATABASE_UNAVAILABLE')).toContain('ECONNREFUSED');
      expectErrorLine(migrateUnreachable, 4, 'DATABASE_UNAVAILABLE');
      const badKeyringLine = expectErrorLine(badKeyring, 3, 'INVALID_CONFIGURATION');
      expect(badKeyringLine).toContain('SECRETSTORE_ENCRYPTION_KEYS');
      expect(badKeyringLine).not.toContain(shortKey);
      expect(existsSync(folder.dataDir)).toBe(false);
    },
    TIMEOUT,
  );
});

describe('set and get', () => {
  it(
    'persist across processes, with the development key made once (0600) and its warning printed once',
    async () => {
      const github = { client_id: 'Iv1.abc', client_secret: CANARY, scopes: ['repo'] };
      const first = await inDataDir(['--json', 'set', 'oauth.github', JSON.stringify(github)]);
      const keyFile = path.join(folder.dataDir, 'encryption-keys');
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(DEVELOPMENT_KEY_WARNING);
      expect(first.stderr).toContain(keyFile);
      const written = JSON.parse(first.stdout) as Json;
      expect(written).toEqual({ key: 'oauth.github', version: 1, updatedAt: ISO_TIME });
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const keySpec = readFileSync(keyFile, 'utf8');
      expect(keySpec).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/);
      expect(first.stderr).not.toContain(keySpec.slice(4, 40));

      // A second process reads it back, with no second warning; --data-dir beats DATABASE_URL.
      const read = await inDataDir(['--json', 'get', 'oauth.github'], {
        env: { DATABASE_URL: 'postgres://127.0.0.1:1/unused' },
      });
      expect(expectJson(read, 'silent')).toEqual({ key: 'oauth.github', value: github });
      expect(readFileSync(keyFile, 'utf8')).toBe(keySpec);

      const pretty = await inDataDir(['get', 'oauth.github']);
      expect(pretty).toEqual({ code: 0, stdout: `${JSON.stringify(github, null, 2)}\n`, stderr: '' });

      const fromFile = { ...github, scopes: ['repo', 'read:user'] };
      const replaced = await inDataDir([
        '--json',
        'set',
        'oauth.github',
        '--file',
        folder.writeJson('github.json', fromFile),
      ]);
      expect(expectJson(replaced, 'silent')).toMatchObject({ key: 'oauth.github', version: 2 });

      const fromStdin = await inDataDir(['set', 'api.partner'], { input: `[{"api_key": "${CANARY}"}]\n` });
      expect(fromStdin).toEqual({ code: 0, stdout: 'key      api.partner\nversion  1\n', stderr: '' });

      const both = expectJson(await inDataDir(['--json', 'list', '--values']), 'silent');
      expect(both.secrets).toEqual([
        expect.objectContaining({ key: 'api.partner', version: 1, value: [{ api_key: CANARY }] }),
        expect.objectContaining({ key: 'oauth.github', version: 2, value: fromFile }),
      ]);

      const invalidKey = await inDataDir(['set', ' oauth.github', JSON.stringify(github)]);
      expect(expectErrorLine(invalidKey, 2, 'INVALID_SECRET_KEY')).toContain('" oauth.github"');
      const notAnObject = await inDataDir(['set', 'oauth.github', '42']);
      expect(expectErrorLine(notAnObject, 2, 'INVALID_SECRET_VALUE')).toContain('"oauth.github"');
      const missing = await inDataDir(['get', 'oauth.gitlab']);
      expect(expectErrorLine(missing, 1, 'SECRET_NOT_FOUND')).toBe('Secret "oauth.gitlab" was not found');
    },
    TIMEOUT,
  );
});

describe('list and delete', () => {
  it(
    'list prints an aligned table without values unless --values; delete of a missing key exits 1',
    async () => {
      expect((await inDataDir(['import', TESTDATA_FILE])).code).toBe(0);

      const table = await inDataDir(['list']);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines.map((line) => line.split(/\s{2,}/))).toEqual([
        ['KEY', 'VERSION', 'UPDATED'],
        ['api.external', '1', TABLE_TIME],
        ['database.postgres', '1', TABLE_TIME],
        ['oauth.github', '1', TABLE_TIME],
      ]);
      for (const title of ['VERSION', 'UPDATED']) {
        const column = lines[0].indexOf(title);
        for (const line of lines.slice(1)) expect(line[column - 1]).toBe(' ');
        for (const line of lines.slice(1)) expect(line[column]).not.toBe(' ');
      }
      expect(table.stdout).not.toContain(testdata['oauth.github'].client_secret);

      const [withValues, underPrefix] = await Promise.all([
        inDataDir(['list', 'oauth.', '--values']),
        inDataDir(['--json', 'list', 'api.']),
      ]);
      expect(withValues.stdout).toMatch(
        /^KEY {2,}VERSION {2,}UPDATED {2,}VALUE\noauth\.github {2,}1 {2,}\S+ {2,}\{.*\}\n$/,
      );
      expect(withValues.stdout).toContain(JSON.stringify(testdata['oauth.github']));
      expect(expectJson(underPrefix, 'silent')).toEqual({
        prefix: 'api.',
        secrets: [
          {
            key: 'api.external',
            version: 1,
            encoding: 'aes-256-gcm',
            keyId: 'dev',
            createdAt: ISO_TIME,
            updatedAt: ISO_TIME,
          },
        ],
      });

      expect(expectJson(await inDataDir(['--json', 'delete', 'api.external']), 'silent')).toEqual({
        key: 'api.external',
        deleted: true,
      });
      expectErrorLine(await inDataDir(['delete', 'api.external']), 1, 'SECRET_NOT_FOUND');
      expect(expectJsonError(await inDataDir(['--json', 'get', 'api.external']), 1, 'SECRET_NOT_FOUND').message).toBe(
        'Secret "api.external" was not found',
      );
    },
    TIMEOUT,
  );
});

describe('import', () => {
  it(
    'dry-runs without writing, then imports all or nothing in one transaction',
    async () => {
      const dryRun = expectJson(await inDataDir(['--json', 'import', TESTDATA_FILE, '--dry-run']), 'warned');
      expect(dryRun).toEqual({
        dryRun: true,
        secrets: Object.keys(testdata).map((key) => ({ key, action: 'created' })),
        created: 3,
        updated: 0,
        unchanged: 0,
      });
      expect(expectJson(await inDataDir(['--json', 'list']), 'silent')).toEqual({ prefix: '', secrets: [] });

      const imported = expectJson(await inDataDir(['--json', 'import', TESTDATA_FILE]), 'silent');
      expect(imported).toMatchObject({ dryRun: false, created: 3, updated: 0, unchanged: 0 });
      const before = expectJson(await inDataDir(['--json', 'list', '--values']), 'silent');
      expect(before.secrets).toEqual(
        Object.keys(testdata)
          .sort()
          .map((key): unknown => expect.objectContaining({ key, version: 1, value: testdata[key] })),
      );

      // Same members in another order is the same value: unchanged.
      const reordered = Object.fromEntries(Object.entries(testdata['database.postgres']).reverse());
      const changes = folder.writeJson('changes.json', {
        'oauth.github': { ...testdata['oauth.github'], scopes: ['repo'] },
        'database.postgres': reordered,
        'webhook.signing': { secret: CANARY },
      });
      const plan = await inDataDir(['import', changes, '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.stdout.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
        ['KEY', 'WOULD BE'],
        ['oauth.github', 'updated'],
        ['database.postgres', 'unchanged'],
        ['webhook.signing', 'created'],
        ['dry run, nothing written: would create 1, update 1, leave 1 unchanged'],
        [''],
      ]);

      // The last value is a number: the two writes before it are rolled back with it.
      const invalid = folder.writeJson('invalid.json', {
        'webhook.signing': { secret: CANARY },
        'oauth.github': { ...testdata['oauth.github'], scopes: [] },
        'zz.last': 7,
      });
      const failed = await inDataDir(['import', invalid]);
      expect(expectErrorLine(failed, 2, 'INVALID_SECRET_VALUE')).toContain('"zz.last"');

      expect(expectJson(await inDataDir(['--json', 'list', '--values']), 'silent')).toEqual(before);
    },
    TIMEOUT,
  );
});

describe('migrate, rotate-keys and status', () => {
  it(
    'migrate makes a new folder with its development key; rotation moves every secret to the new active key',
    async () => {
      const migrated = expectJson(await inDataDir(['--json', 'migrate']), 'warned');
      expect(migrated).toEqual({
        database: { kind: 'embedded', description: folder.dataDir },
        applied: MIGRATIONS,
        alreadyApplied: [],
        unknown: [],
      });
      // A database is never made without the key its secrets will need.
      expect(readFileSync(path.join(folder.dataDir, 'encryption-keys'), 'utf8')).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/);
      const again = await inDataDir(['migrate']);
      expect(again.stdout).toBe(
        `database         ${folder.dataDir} (embedded)\napplied          none\nalready applied  ${MIGRATIONS.join(', ')}\n`,
      );

      expect((await inDataDir(['import', TESTDATA_FILE])).code).toBe(0);
      const devKey = readFileSync(path.join(folder.dataDir, 'encryption-keys'), 'utf8').trim();
      expect(devKey).toMatch(/^dev:/);
      const k2 = generateEncryptionKey();
      const rotating = { SECRETSTORE_ENCRYPTION_KEYS: `k2:${k2},${devKey}` };

      const rotated = expectJson(
        await inDataDir(['--json', 'rotate-keys', '--batch-size', '2'], { env: rotating }),
        'silent',
      );
      expect(rotated).toEqual({
        activeKeyId: 'k2',
        algorithm: 'aes-256-gcm',
        scanned: 3,
        reEncrypted: 3,
        skipped: 0,
        failed: [],
        auditCheckpointsResealed: 0,
      });

      const status = expectJson(await inDataDir(['--json', 'status'], { env: rotating }), 'silent');
      expect(status).toEqual({
        database: { kind: 'embedded', description: folder.dataDir, exists: true },
        migrations: { applied: MIGRATIONS.map((name) => ({ name, changed: false })), pending: [], unknown: [] },
        keyring: {
          activeKeyId: 'k2',
          algorithm: 'aes-256-gcm',
          keyIds: ['k2', 'dev'],
          activeKeyInKeyring: true,
          // The development key wrote the secrets first; k2 wrote them again in the rotation.
          keys: [
            { keyId: 'dev', state: 'recorded' },
            { keyId: 'k2', state: 'recorded' },
          ],
        },
        keysInUse: [{ encoding: 'aes-256-gcm', keyId: 'k2', secrets: 3, inKeyring: true }],
        allKeysInKeyring: true,
      });

      // The old key is no longer needed to read.
      const onlyK2 = { SECRETSTORE_ENCRYPTION_KEYS: `k2:${k2}` };
      const read = expectJson(await inDataDir(['--json', 'get', 'oauth.github'], { env: onlyK2 }), 'silent');
      expect(read.value).toEqual(testdata['oauth.github']);

      // With only the development key, status says k2 is missing from the keyring, and reads fail (5).
      const stale = await inDataDir(['status']);
      expect(stale.code).toBe(0);
      expect(stale.stdout).toMatch(/^active key {2,}dev$/m);
      expect(stale.stdout).toMatch(/^k2 {2,}aes-256-gcm {2,}3 {2,}NO$/m);
      expectErrorLine(await inDataDir(['get', 'oauth.github']), 5, 'SECRET_DECRYPTION_FAILED');
      const debug = await inDataDir(['--debug', 'get', 'oauth.github']);
      expect(debug.code).toBe(5);
      expect(debug.stderr).toMatch(
        /^secretstore: [^\n]+ \(SECRET_DECRYPTION_FAILED\)\nSecretDecryptionError: .+\n {4}at /,
      );
      expectNoSecretIn(debug.stderr);
    },
    TIMEOUT,
  );
});

describe('the data folder and its key file', () => {
  const keyFile = (): string => path.join(folder.dataDir, 'encryption-keys');

  it(
    'a lost key file is an error (3) where the folder holds a database: no new key under its id; restored, it reads again',
    async () => {
      expect((await inDataDir(['set', 'a', '{"x":1}'])).code).toBe(0);
      const original = readFileSync(keyFile(), 'utf8');
      rmSync(keyFile());

      for (const args of [['get', 'a'], ['status'], ['list', '--values'], ['set', 'b', '{"y":1}']]) {
        const line = expectErrorLine(await inDataDir(args), 3, 'INVALID_CONFIGURATION');
        expect(line).toContain(`${keyFile()}: is missing, but the folder holds a database`);
        expect(line).toContain('Restore the file from a backup, or provide the keys with SECRETSTORE_ENCRYPTION_KEYS');
        expect(existsSync(keyFile())).toBe(false);
      }

      writeFileSync(keyFile(), original, { mode: 0o600 });
      expect(expectJson(await inDataDir(['--json', 'get', 'a']), 'silent')).toEqual({ key: 'a', value: { x: 1 } });
      expect(expectJson(await inDataDir(['--json', 'list']), 'silent')).toMatchObject({
        secrets: [{ key: 'a', keyId: 'dev' }],
      });
    },
    TIMEOUT,
  );

  it(
    'an empty key file, as a crash while writing it leaves, is replaced where there is no database and refused where there is',
    async () => {
      mkdirSync(folder.dataDir, { mode: 0o700 });
      writeFileSync(keyFile(), '', { mode: 0o600 });
      const first = expectJson(await inDataDir(['--json', 'set', 'a', '{"x":1}']), 'warned');
      expect(first).toMatchObject({ key: 'a', version: 1 });
      expect(readFileSync(keyFile(), 'utf8')).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/);

      writeFileSync(keyFile(), '');
      const line = expectErrorLine(await inDataDir(['get', 'a']), 3, 'INVALID_CONFIGURATION');
      expect(line).toContain(`${keyFile()}: is empty, but the folder holds a database`);
      expect(readFileSync(keyFile(), 'utf8')).toBe('');
    },
    TIMEOUT,
  );

  it(
    'first runs started together publish one development key, which every one of them uses',
    async () => {
      const runs = await Promise.all(['k1', 'k2', 'k3'].map((key) => inDataDir(['set', key, `{"key":"${key}"}`])));
      expect(runs.map((run) => run.code)).toEqual([0, 0, 0]);
      expect(runs.map((run) => run.stderr).join('')).toMatch(DEVELOPMENT_KEY_WARNING);

      const listed = expectJson(await inDataDir(['--json', 'list', '--values']), 'silent');
      expect(listed.secrets).toEqual(
        ['k1', 'k2', 'k3'].map((key): unknown => expect.objectContaining({ key, keyId: 'dev', value: { key } })),
      );
    },
    TIMEOUT,
  );

  it(
    'with SECRETSTORE_ENCRYPTION_KEYS exported for a server, --data-dir still reads the rows under the development key',
    async () => {
      const value = { client_secret: CANARY };
      expect((await inDataDir(['set', 'oauth.github', JSON.stringify(value)])).code).toBe(0);
      const serverEnv = {
        DATABASE_URL: 'postgres://127.0.0.1:1/server',
        SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}`,
      };

      const listed = expectJson(await inDataDir(['--json', 'list', '--values'], { env: serverEnv }), 'silent');
      expect(listed.secrets).toEqual([expect.objectContaining({ key: 'oauth.github', keyId: 'dev', value })]);

      // The same id with another key is refused, naming the id and never the key.
      const otherDev = generateEncryptionKey();
      const conflict = await inDataDir(['list', '--values'], {
        env: { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()},dev:${otherDev}` },
      });
      const line = expectErrorLine(conflict, 3, 'INVALID_CONFIGURATION');
      expect(line).toContain('key id "dev" is also in');
      expect(line).not.toContain(otherDev);
    },
    TIMEOUT,
  );

  it(
    'status, get and list where there is no store create nothing: status says so, get exits 1, list lists none',
    async () => {
      // SECRETSTORE_DATA_DIR, as ./.secretstore would be chosen: no flag.
      const here = { env: { SECRETSTORE_DATA_DIR: folder.dataDir } };
      for (const existing of [false, true]) {
        if (existing) mkdirSync(folder.dataDir, { mode: 0o700 });
        const [human, json, get, list, listJson] = await Promise.all([
          spawnSecretstore(['status'], here),
          spawnSecretstore(['--json', 'status'], here),
          spawnSecretstore(['get', 'oauth.github'], here),
          spawnSecretstore(['list', '--values'], here),
          spawnSecretstore(['--json', 'list'], here),
        ]);
        expect(human).toEqual({
          code: 0,
          stdout: `database  ${folder.dataDir} (embedded)\nstore     none yet: set, import or migrate creates one here\n`,
          stderr: '',
        });
        expect(expectJson(json, 'silent')).toEqual({
          database: { kind: 'embedded', description: folder.dataDir, exists: false },
          migrations: null,
          keyring: null,
          keysInUse: null,
          allKeysInKeyring: false,
        });
        expect(expectErrorLine(get, 1, 'SECRET_NOT_FOUND')).toBe('Secret "oauth.github" was not found');
        expect(list).toEqual({ code: 0, stdout: 'no secrets\n', stderr: '' });
        expect(expectJson(listJson, 'silent')).toEqual({ prefix: '', secrets: [] });
        expect(existing ? readdirSync(folder.dataDir) : existsSync(folder.dataDir)).toEqual(existing ? [] : false);
      }

      const emptyUrl = await spawnSecretstore(['list'], { env: { ...here.env, DATABASE_URL: '' } });
      expect(expectErrorLine(emptyUrl, 3, 'INVALID_CONFIGURATION')).toBe(
        'Invalid configuration DATABASE_URL: is empty',
      );
      expect(readdirSync(folder.dataDir)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'a folder and key file that others can reach are restricted to their owner, with a warning each; a correct folder draws none',
    async () => {
      expect((await inDataDir(['set', 'a', '{"x":1}'])).code).toBe(0);
      expect(readFileSync(path.join(folder.dataDir, '.gitignore'), 'utf8')).toBe('*\n');
      chmodSync(folder.dataDir, 0o755);
      chmodSync(keyFile(), 0o644);

      const loose = await inDataDir(['get', 'a']);
      expect({ code: loose.code, stderr: loose.stderr }).toEqual({
        code: 0,
        stderr:
          `secretstore: ${folder.dataDir} was open to other users (mode 0755); restricted it to 0700\n` +
          `secretstore: ${keyFile()} was open to other users (mode 0644); restricted it to 0600\n`,
      });
      expect(statSync(folder.dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(keyFile()).mode & 0o777).toBe(0o600);

      expect(await inDataDir(['get', 'a'])).toEqual({ code: 0, stdout: '{\n  "x": 1\n}\n', stderr: '' });
    },
    TIMEOUT,
  );
});

const serverUrl = process.env[HARNESS_SERVER_VARIABLE];
if (serverUrl) {
  describe('on a PostgreSQL server (--database-url)', () => {
    it(
      'migrates, writes and reads back with the keyring from the environment',
      async () => {
        const scratch = await createScratchDatabase(serverUrl, 'secretstore_cli');
        try {
          const env = { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}` };
          const onServer = (args: readonly string[]): Promise<CliRun> =>
            spawnSecretstore(['--json', '--database-url', scratch.url, ...args], { env });
          const url = new URL(scratch.url);
          const database = { kind: 'server', description: `${url.hostname}:${url.port || '5432'}/${scratch.name}` };

          // Before migrating: what is pending, and no key usage to report yet.
          expect(expectJson(await onServer(['status']), 'silent')).toMatchObject({
            database,
            migrations: { applied: [], pending: MIGRATIONS },
            keysInUse: null,
          });
          expect(expectJson(await onServer(['migrate']), 'silent')).toMatchObject({ database, applied: MIGRATIONS });
          const value = { token: CANARY };
          expect(expectJson(await onServer(['set', 'api.token', JSON.stringify(value)]), 'silent')).toMatchObject({
            version: 1,
          });
          expect(expectJson(await onServer(['get', 'api.token']), 'silent')).toEqual({ key: 'api.token', value });
          const status = await onServer(['status']);
          expect(expectJson(status, 'silent')).toMatchObject({
            database,
            migrations: { pending: [] },
            keysInUse: [{ keyId: 'k1', secrets: 1, inKeyring: true }],
          });
          expect(status.stdout).not.toContain(scratch.url);
          if (url.password) expect(status.stdout).not.toContain(url.password);
        } finally {
          await scratch.drop();
        }
      },
      TIMEOUT,
    );
  });
}
