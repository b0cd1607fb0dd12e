/**
 * `export` and `import`: what one writes the other reads back, from the embedded database to a server, as the
 * README's "moving to a server" steps do, with the server's keyring exported while the embedded folder is read.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

import { useTestDatabase } from '../harness/database';
import { jsonErrorOf, jsonOf, secretstore } from '../support/cli-run';

const TIMEOUT = 120_000;
jest.setTimeout(TIMEOUT);

const testDatabase = useTestDatabase();
const serverKeyring = `k1:${randomBytes(32).toString('base64')}`;
const secrets = {
  'oauth.github': { client_id: 'Iv1.abc', client_secret: `gh-${randomBytes(6).toString('hex')}` },
  'api.stripe': { key: 'sk_live_x', scopes: ['charges', 'refunds'] },
  'deep.list': [1, { two: [2, 'two'] }, null],
};
// Defined, so that it is a key like any other and not the object's prototype.
Object.defineProperty(secrets, '__proto__', {
  value: { odd: 'a key' },
  enumerable: true,
  writable: true,
  configurable: true,
});

let workDir: string;
let dataDir: string;
let pglite: { db: PGlite; server: PGLiteSocketServer } | undefined;
/** The server the secrets move to: this file's database on the harness server, or PGlite behind a socket. */
let serverUrl: string;

beforeAll(async () => {
  const { mode, url } = testDatabase();
  if (mode === 'server') {
    serverUrl = url!;
    return;
  }
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  pglite = { db, server };
  serverUrl = `postgres://postgres@${server.getServerConn()}/postgres`;
});

afterAll(async () => {
  await pglite?.server.stop();
  await pglite?.db.close();
});

beforeEach(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'secretstore-export-'));
  dataDir = path.join(workDir, '.secretstore');
  await testDatabase().reset();
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

function importFile(value: unknown): string {
  const file = path.join(workDir, 'import.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('export', () => {
  it('prints what import reads, and a second import changes nothing', async () => {
    const file = importFile(secrets);
    expect(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'import', file]))).toMatchObject({ created: 4 });

    const exported = await secretstore(['--data-dir', dataDir, 'export']);
    expect(exported.code).toBe(0);
    const document = JSON.parse(exported.stdout) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(['__proto__', 'api.stripe', 'deep.list', 'oauth.github']);
    expect(JSON.stringify(document)).toBe(
      JSON.stringify(
        Object.fromEntries(
          Object.keys(document).map((key) => [key, Object.getOwnPropertyDescriptor(secrets, key)!.value]),
        ),
      ),
    );

    writeFileSync(file, exported.stdout);
    expect(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'import', file]))).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 4,
    });
  });

  it('exports only a prefix, into a new file of mode 0600, and never over a file that exists', async () => {
    await secretstore(['--data-dir', dataDir, 'import', importFile(secrets)]);
    const out = path.join(workDir, 'out.json');

    expect(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'export', 'oauth.', '--file', out]))).toEqual({
      file: out,
      exported: 1,
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ 'oauth.github': secrets['oauth.github'] });

    const refused = jsonErrorOf(await secretstore(['--data-dir', dataDir, '--json', 'export', '--file', out]));
    expect(refused).toMatchObject({ exitCode: 2, code: 'OUTPUT_EXISTS' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ 'oauth.github': secrets['oauth.github'] });
  });
});

describe('where there is no store', () => {
  it('export prints {} and delete exits 1, creating nothing', async () => {
    expect(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'export']))).toEqual({});
    const deleted = jsonErrorOf(await secretstore(['--data-dir', dataDir, '--json', 'delete', 'a']));
    expect(deleted).toMatchObject({ exitCode: 1, code: 'SECRET_NOT_FOUND' });
    expect(jsonErrorOf(await secretstore(['--data-dir', dataDir, '--json', 'delete', ' a']))).toMatchObject({
      exitCode: 2,
      code: 'INVALID_SECRET_KEY',
    });
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('moving from the embedded database to a server', () => {
  it('works as the README says: keyring exported, the folder exported, the server imported', async () => {
    // Development on the embedded database, with its generated key.
    for (const [key, value] of Object.entries(secrets)) {
      const set = await secretstore(['--data-dir', dataDir, 'set', key, JSON.stringify(value)]);
      expect(set.code).toBe(0);
    }
    const keyFile = path.join(dataDir, 'encryption-keys');
    expect(existsSync(keyFile)).toBe(true);

    // The server's keyring is exported for every later command; the folder's own key still reads its rows.
    const env = { SECRETSTORE_ENCRYPTION_KEYS: serverKeyring, DATABASE_URL: serverUrl };
    expect(jsonOf(await secretstore(['--json', 'migrate'], { env }))).toMatchObject({ unknown: [] });
    const listed = jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'list', '--values'], { env })) as {
      secrets: { key: string; keyId: string }[];
    };
    expect(listed.secrets.map((secret) => secret.keyId)).toEqual(['dev', 'dev', 'dev', 'dev']);

    const file = path.join(workDir, 'secrets.json');
    expect(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'export', '--file', file], { env }))).toEqual({
      file,
      exported: 4,
    });
    expect(jsonOf(await secretstore(['--json', 'import', '--dry-run', file], { env }))).toMatchObject({
      dryRun: true,
      created: 4,
    });
    expect(jsonOf(await secretstore(['--json', 'import', file], { env }))).toMatchObject({ created: 4 });

    const onServer = jsonOf(await secretstore(['--json', 'export'], { env }));
    expect(JSON.stringify(onServer)).toBe(
      JSON.stringify(jsonOf(await secretstore(['--data-dir', dataDir, '--json', 'export'], { env }))),
    );
    const status = jsonOf(await secretstore(['--json', 'status'], { env })) as {
      keysInUse: { keyId: string; secrets: number }[];
    };
    expect(status.keysInUse).toEqual([expect.objectContaining({ keyId: 'k1', secrets: 4 })]);
  });
});
