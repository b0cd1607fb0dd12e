/**
 * `export` and `import`: what one writes the other reads back, from the embedded database to a server, as the
 * README's "moving to a server" steps do, with the server's keyring exported while the embedded folder is read.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { useTestDatabase } from '../harness/database';
import { useCliFolder } from '../support/cli-folder';
import { expectJson, expectJsonError } from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { startPGliteServer, type PGliteServer } from '../support/pglite-server';

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

const folder = useCliFolder('secretstore-export-');
let pglite: PGliteServer | undefined;
/** The server the secrets move to: this file's database on the harness server, or PGlite behind a socket. */
let serverUrl: string;

beforeAll(async () => {
  const { mode, url } = testDatabase();
  if (mode === 'server') {
    serverUrl = url!;
    return;
  }
  pglite = await startPGliteServer();
  serverUrl = pglite.url;
});

afterAll(async () => {
  await pglite?.close();
});

beforeEach(async () => {
  await testDatabase().reset();
});

const importFile = (value: unknown): string => folder.writeJson('import.json', value);

describe('export', () => {
  it('prints what import reads, and a second import changes nothing', async () => {
    const file = importFile(secrets);
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'import', file)))).toMatchObject({ created: 4 });

    const exported = await secretstore(folder.inDataDir('export'));
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
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'import', file)))).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 4,
    });
  });

  it('exports only a prefix, into a new file of mode 0600, and never over a file that exists', async () => {
    await secretstore(folder.inDataDir('import', importFile(secrets)));
    const out = folder.join('out.json');

    expect(expectJson(await secretstore(folder.inDataDir('--json', 'export', 'oauth.', '--file', out)))).toEqual({
      file: out,
      exported: 1,
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ 'oauth.github': secrets['oauth.github'] });

    expectJsonError(await secretstore(folder.inDataDir('--json', 'export', '--file', out)), 2, 'OUTPUT_EXISTS');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ 'oauth.github': secrets['oauth.github'] });
  });
});

describe('where there is no store', () => {
  it('export prints {} and delete exits 1, creating nothing', async () => {
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'export')))).toEqual({});
    expectJsonError(await secretstore(folder.inDataDir('--json', 'delete', 'a')), 1, 'SECRET_NOT_FOUND');
    expectJsonError(await secretstore(folder.inDataDir('--json', 'delete', ' a')), 2, 'INVALID_SECRET_KEY');
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});

describe('moving from the embedded database to a server', () => {
  it('works as the README says: keyring exported, the folder exported, the server imported', async () => {
    // Development on the embedded database, with its generated key.
    for (const [key, value] of Object.entries(secrets)) {
      const set = await secretstore(folder.inDataDir('set', key, JSON.stringify(value)));
      expect(set.code).toBe(0);
    }
    const keyFile = path.join(folder.dataDir, 'encryption-keys');
    expect(existsSync(keyFile)).toBe(true);

    // The server's keyring is exported for every later command; the folder's own key still reads its rows.
    const env = { SECRETSTORE_ENCRYPTION_KEYS: serverKeyring, DATABASE_URL: serverUrl };
    expect(expectJson(await secretstore(['--json', 'migrate'], { env }))).toMatchObject({ unknown: [] });
    const listed = expectJson(await secretstore(folder.inDataDir('--json', 'list', '--values'), { env })) as {
      secrets: { key: string; keyId: string }[];
    };
    expect(listed.secrets.map((secret) => secret.keyId)).toEqual(['dev', 'dev', 'dev', 'dev']);

    const file = folder.join('secrets.json');
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'export', '--file', file), { env }))).toEqual({
      file,
      exported: 4,
    });
    expect(expectJson(await secretstore(['--json', 'import', '--dry-run', file], { env }))).toMatchObject({
      dryRun: true,
      created: 4,
    });
    expect(expectJson(await secretstore(['--json', 'import', file], { env }))).toMatchObject({ created: 4 });

    const onServer = expectJson(await secretstore(['--json', 'export'], { env }));
    expect(JSON.stringify(onServer)).toBe(
      JSON.stringify(expectJson(await secretstore(folder.inDataDir('--json', 'export'), { env }))),
    );
    const status = expectJson(await secretstore(['--json', 'status'], { env })) as {
      keysInUse: { keyId: string; secrets: number }[];
    };
    expect(status.keysInUse).toEqual([expect.objectContaining({ keyId: 'k1', secrets: 4 })]);
  });
});
