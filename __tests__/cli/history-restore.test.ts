/**
 * `history`, `get --version` and `restore`, run in process on this file's database (server or PGlite): the kept
 * versions newest first with their state, an older value read back and written again as a new version, and
 * the refusals — a missing key or version (1), a version that is not one (2), a stale --if-version (5).
 */
import { existsSync } from 'node:fs';

import { useCliDatabase } from '../support/cli-database';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, expectErrorLine, expectJson, expectOk, ISO_TIME, TABLE_TIME } from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { cellsOf } from '../support/cli-table';

jest.setTimeout(120_000);

const cli = useCliDatabase();
const values = [{ token: `${CANARY}-1` }, { token: `${CANARY}-2` }, [`${CANARY}-3`]];

/** Writes `values` to `key` as versions 1, 2, 3. */
async function writeThreeVersions(key: string): Promise<void> {
  for (const value of values) expectOk(await cli.run(['set', key, JSON.stringify(value)]));
}

describe('history', () => {
  it('lists the versions newest first, for a person and as JSON', async () => {
    await writeThreeVersions('api.token');
    expect(cellsOf(expectOk(await cli.run(['history', 'api.token'])))).toEqual([
      ['VERSION', 'CREATED', 'STATE'],
      ['3', TABLE_TIME, 'current'],
      ['2', TABLE_TIME, 'older'],
      ['1', TABLE_TIME, 'older'],
    ]);
    expect(expectJson(await cli.run(['--json', 'history', 'api.token']))).toEqual({
      key: 'api.token',
      versions: [3, 2, 1].map((version) => ({ version, createdAt: ISO_TIME, deletedAt: null, destroyed: false })),
    });
  });

  it('marks the latest version of a deleted secret', async () => {
    await writeThreeVersions('api.token');
    expectOk(await cli.run(['delete', 'api.token']));
    const history = expectJson(await cli.run(['--json', 'history', 'api.token']));
    expect(history.versions).toEqual([
      { version: 3, createdAt: ISO_TIME, deletedAt: ISO_TIME, destroyed: false },
      { version: 2, createdAt: ISO_TIME, deletedAt: null, destroyed: false },
      { version: 1, createdAt: ISO_TIME, deletedAt: null, destroyed: false },
    ]);
    expect(cellsOf(expectOk(await cli.run(['history', 'api.token']))).map((row) => row[2])).toEqual([
      'STATE',
      'deleted',
      'older',
      'older',
    ]);
  });

  it('exits 1 for a key that has no versions, 2 for an invalid key', async () => {
    expect(await cli.expectFailure(['history', 'api.missing'], 1, 'SECRET_NOT_FOUND')).toBe(
      'Secret "api.missing" was not found',
    );
    await cli.expectFailure(['history', ' api.token'], 2, 'INVALID_SECRET_KEY');
  });
});

describe('get --version', () => {
  it('prints the value of a kept version, for a person and as JSON', async () => {
    await writeThreeVersions('api.token');
    expect(expectOk(await cli.run(['get', 'api.token', '--version', '1']))).toBe(
      `${JSON.stringify(values[0], null, 2)}\n`,
    );
    expect(expectJson(await cli.run(['--json', 'get', 'api.token', '--version', '2']))).toEqual({
      key: 'api.token',
      version: 2,
      value: values[1],
    });
    // Without --version: the current value, with no version in the JSON.
    expect(expectJson(await cli.run(['--json', 'get', 'api.token']))).toEqual({ key: 'api.token', value: values[2] });
  });

  it('reads an older version of a deleted secret, which itself reads as missing', async () => {
    await writeThreeVersions('api.token');
    expectOk(await cli.run(['delete', 'api.token']));
    await cli.expectFailure(['get', 'api.token'], 1, 'SECRET_NOT_FOUND');
    expect(expectJson(await cli.run(['--json', 'get', 'api.token', '--version', '1'])).value).toEqual(values[0]);
  });

  it('exits 1 for a version never written or of a missing key, 2 for a version that is not one', async () => {
    await writeThreeVersions('api.token');
    expect(await cli.expectFailure(['get', 'api.token', '--version', '4'], 1, 'SECRET_VERSION_NOT_FOUND')).toMatch(
      /^Version 4 of secret "api\.token" was not found/,
    );
    await cli.expectFailure(['get', 'api.missing', '--version', '1'], 1, 'SECRET_VERSION_NOT_FOUND');
    for (const version of ['0', '-1', '1.5', 'two', '2147483648']) {
      expect(await cli.expectFailure(['get', 'api.token', '--version', version], 2, 'USAGE')).toContain('--version');
    }
  });
});

describe('restore', () => {
  it('writes an older value as a new version, keeping the history', async () => {
    await writeThreeVersions('api.token');
    expect(cellsOf(expectOk(await cli.run(['restore', 'api.token', '1'])))).toEqual([
      ['key', 'api.token'],
      ['version', '4'],
      ['restored from', '1'],
    ]);
    expect(expectJson(await cli.run(['--json', 'get', 'api.token']))).toEqual({ key: 'api.token', value: values[0] });
    expect(expectJson(await cli.run(['--json', 'restore', 'api.token', '2', '--if-version', '4']))).toEqual({
      key: 'api.token',
      version: 5,
      restoredFrom: 2,
    });
    expect(expectJson(await cli.run(['--json', 'get', 'api.token'])).value).toEqual(values[1]);
    const history = expectJson(await cli.run(['--json', 'history', 'api.token']));
    expect((history.versions as { version: number }[]).map(({ version }) => version)).toEqual([5, 4, 3, 2, 1]);
  });

  it('brings a deleted secret back with the value restored', async () => {
    await writeThreeVersions('api.token');
    expectOk(await cli.run(['delete', 'api.token']));
    expect(expectJson(await cli.run(['--json', 'restore', 'api.token', '2'])).version).toBe(4);
    expect(expectJson(await cli.run(['--json', 'get', 'api.token'])).value).toEqual(values[1]);
  });

  it('refuses a stale --if-version (5), a missing version (1), a version that is not one (2), and writes nothing', async () => {
    await writeThreeVersions('api.token');
    expect(
      await cli.expectFailure(['restore', 'api.token', '1', '--if-version', '2'], 5, 'SECRET_VERSION_CONFLICT'),
    ).toBe('Secret "api.token" is at version 3, not 2: it changed since it was read');
    await cli.expectFailure(['restore', 'api.token', '7'], 1, 'SECRET_VERSION_NOT_FOUND');
    await cli.expectFailure(['restore', 'api.missing', '1'], 1, 'SECRET_VERSION_NOT_FOUND');
    expect(await cli.expectFailure(['restore', 'api.token', '0'], 2, 'USAGE')).toContain("argument 'version'");
    expect(await cli.expectFailure(['restore', 'api.token', '1', '--if-version', 'x'], 2, 'USAGE')).toContain(
      '--if-version',
    );
    await cli.expectFailure(['restore', 'api.token'], 2, 'USAGE');
    const history = expectJson(await cli.run(['--json', 'history', 'api.token']));
    expect((history.versions as unknown[]).length).toBe(3);
  });
});

describe('where there is no store', () => {
  const folder = useCliFolder('secretstore-cli-history-');

  it('history, get --version and restore exit 1 (2 for an invalid key), and create nothing', async () => {
    const inFolder = (...args: string[]) => secretstore(folder.inDataDir(...args));
    expectErrorLine(await inFolder('history', 'api.token'), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await inFolder('history', ''), 2, 'INVALID_SECRET_KEY');
    expectErrorLine(await inFolder('get', 'api.token', '--version', '1'), 1, 'SECRET_VERSION_NOT_FOUND');
    expectErrorLine(await inFolder('restore', 'api.token', '1'), 1, 'SECRET_VERSION_NOT_FOUND');
    expectErrorLine(await inFolder('restore', ' api.token', '1'), 2, 'INVALID_SECRET_KEY');
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
