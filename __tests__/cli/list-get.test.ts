/**
 * `list` and `get`, run in process: aligned tables for a person and metadata (values only with --values) as
 * JSON, on a seeded data folder, where refusals of get, set and delete change nothing; and where there is no
 * store, reads that create none.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { useCliFolder } from '../support/cli-folder';
import {
  CANARY,
  expectErrorLine,
  expectJson,
  expectJsonError,
  expectOk,
  ISO_TIME,
  TABLE_TIME,
  type CliRun,
} from '../support/cli-output';
import { secretstore } from '../support/cli-run';

const TIMEOUT = 60_000;
// Each run opens the embedded database: on a busy machine, more than jest's default 5 seconds.
jest.setTimeout(TIMEOUT);

describe('reading and refusing on a seeded data folder', () => {
  const seeded = {
    'api.external': { api_key: CANARY, retry: { attempts: 3 } },
    'oauth.github': { client_id: 'Iv1.abc', scopes: ['repo', 'read:user'] },
    'oauth.google': ['one', 'two'],
  };
  // Shared by the read-only cases of this block, so that each costs one opening of the database.
  let root: string;
  const inFolder = (...args: string[]): Promise<CliRun> =>
    secretstore(['--data-dir', path.join(root, 'data'), ...args]);

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'secretstore-cli-seeded-'));
    const file = path.join(root, 'seed.json');
    writeFileSync(file, JSON.stringify(seeded));
    expect((await inFolder('import', file)).code).toBe(0);
  }, TIMEOUT);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each<{ args: string[]; lines: unknown[][] }>([
    {
      args: ['list'],
      lines: [
        ['KEY', 'VERSION', 'UPDATED'],
        ['api.external', '1', TABLE_TIME],
        ['oauth.github', '1', TABLE_TIME],
        ['oauth.google', '1', TABLE_TIME],
      ],
    },
    {
      args: ['list', 'oauth.', '--values'],
      lines: [
        ['KEY', 'VERSION', 'UPDATED', 'VALUE'],
        ['oauth.github', '1', TABLE_TIME, JSON.stringify(seeded['oauth.github'])],
        ['oauth.google', '1', TABLE_TIME, JSON.stringify(seeded['oauth.google'])],
      ],
    },
    { args: ['list', 'nothing.'], lines: [['no secrets under "nothing."']] },
    { args: ['list', 'nothing.', '--values'], lines: [['no secrets under "nothing."']] },
  ])('$args prints an aligned table', async ({ args, lines }) => {
    const printed = expectOk(await inFolder(...args))
      .trimEnd()
      .split('\n');
    expect(printed.map((line) => line.split(/\s{2,}/))).toEqual(lines);
    // Each column starts where its title does.
    for (const title of printed[0].split(/\s{2,}/).slice(1)) {
      const column = printed[0].indexOf(title);
      for (const line of printed.slice(1))
        expect([line[column - 1], line[column]]).toEqual([' ', expect.stringMatching(/\S/)]);
    }
  });

  it.each<{ args: string[]; prefix: string; values: boolean; keys: (keyof typeof seeded)[] }>([
    { args: ['list', 'oauth.'], prefix: 'oauth.', values: false, keys: ['oauth.github', 'oauth.google'] },
    { args: ['list', '--values'], prefix: '', values: true, keys: ['api.external', 'oauth.github', 'oauth.google'] },
    { args: ['list', 'api.', '--values'], prefix: 'api.', values: true, keys: ['api.external'] },
    { args: ['list', 'zzz', '--values'], prefix: 'zzz', values: true, keys: [] },
  ])('--json $args lists metadata, and values only with --values', async ({ args, prefix, values, keys }) => {
    expect(expectJson(await inFolder('--json', ...args))).toEqual({
      prefix,
      secrets: keys.map((key) => ({
        key,
        version: 1,
        encoding: 'aes-256-gcm',
        keyId: 'dev',
        createdAt: ISO_TIME,
        updatedAt: ISO_TIME,
        ...(values ? { value: seeded[key] } : {}),
      })),
    });
  });

  it('get prints the value indented for a person, and as {key, value} with --json', async () => {
    expect(expectOk(await inFolder('get', 'oauth.google'))).toBe(
      `${JSON.stringify(seeded['oauth.google'], null, 2)}\n`,
    );
    expect(expectJson(await inFolder('--json', 'get', 'api.external'))).toEqual({
      key: 'api.external',
      value: seeded['api.external'],
    });
  });

  it.each([
    {
      args: ['get', 'oauth.gitlab'],
      exit: 1,
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    },
    {
      args: ['delete', 'oauth.gitlab'],
      exit: 1,
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    },
    {
      args: ['set', ' oauth.github', '{}'],
      exit: 2,
      code: 'INVALID_SECRET_KEY',
      message: expect.stringMatching(/^Invalid secret key " oauth\.github": /) as unknown,
    },
    {
      args: ['get', ''],
      exit: 2,
      code: 'INVALID_SECRET_KEY',
      message: expect.stringMatching(/^Invalid secret key "": /) as unknown,
    },
    {
      args: ['set', 'oauth.github', '42'],
      exit: 2,
      code: 'INVALID_SECRET_VALUE',
      message: expect.stringMatching(/^Invalid value for secret "oauth\.github" at \$: /) as unknown,
    },
    {
      args: ['set', 'oauth.github', `"${CANARY}"`],
      exit: 2,
      code: 'INVALID_SECRET_VALUE',
      message: expect.stringMatching(/^Invalid value for secret "oauth\.github" at \$: /) as unknown,
    },
  ])('$args exits $exit with $code', async ({ args, exit, code, message }) => {
    expect(expectErrorLine(await inFolder(...args), exit, code)).toEqual(message);
  });

  it('reports errors as JSON with --json', async () => {
    expect(expectJsonError(await inFolder('--json', 'delete', 'oauth.gitlab'), 1, 'SECRET_NOT_FOUND')).toEqual({
      code: 'SECRET_NOT_FOUND',
      message: 'Secret "oauth.gitlab" was not found',
    });
  });

  // Runs last in this block: none of the refusals above wrote anything.
  it('still holds the seeded secrets, unchanged', async () => {
    const listed = expectJson(await inFolder('--json', 'list', '--values'));
    expect(listed.secrets).toEqual(
      Object.entries(seeded).map(([key, value]) => expect.objectContaining({ key, version: 1, value }) as unknown),
    );
  });
});

describe('reading where there is no store', () => {
  const folder = useCliFolder('secretstore-cli-no-store-');

  it('status says so, get exits 1 (2 for an invalid key), list lists none, and nothing is created', async () => {
    const status = expectJson(await secretstore(folder.inDataDir('--json', 'status')));
    expect(status).toMatchObject({
      database: { kind: 'embedded', description: folder.dataDir, exists: false },
      keyring: null,
    });
    expect(expectOk(await secretstore(folder.inDataDir('status')))).toContain(
      'none yet: set, import or migrate creates one',
    );
    expectErrorLine(await secretstore(folder.inDataDir('get', 'oauth.github')), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await secretstore(folder.inDataDir('get', ' oauth.github')), 2, 'INVALID_SECRET_KEY');
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'list', 'oauth.')))).toEqual({
      prefix: 'oauth.',
      secrets: [],
    });
    expectErrorLine(await secretstore(folder.inDataDir('list', 'oauth.\u0007')), 2, 'INVALID_SECRET_KEY');
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
