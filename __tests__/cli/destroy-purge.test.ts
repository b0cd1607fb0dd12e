/**
 * `destroy` and `purge`, run in process on this file's database (server or PGlite): values erased for good,
 * only with --yes; versions named that do not exist destroy nothing; purge removes the secrets deleted longer
 * ago than its window, and only those.
 */
import { existsSync } from 'node:fs';

import { useCliDatabase } from '../support/cli-database';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, expectErrorLine, expectJson, expectOk, type Json } from '../support/cli-output';
import { secretstore } from '../support/cli-run';

jest.setTimeout(120_000);

const cli = useCliDatabase();
const values = [{ token: `${CANARY}-1` }, { token: `${CANARY}-2` }, { token: `${CANARY}-3` }];
const DAY = 24 * 60 * 60 * 1000;

async function writeThreeVersions(key: string): Promise<void> {
  for (const value of values) expectOk(await cli.run(['set', key, JSON.stringify(value)]));
}

/** Each version's state, newest first, as `history --json` reports it. */
async function states(key: string): Promise<[number, string][]> {
  const history = expectJson(await cli.run(['--json', 'history', key]));
  return (history.versions as { version: number; deletedAt: string | null; destroyed: boolean }[]).map(
    ({ version, deletedAt, destroyed }) => [version, destroyed ? 'destroyed' : deletedAt === null ? 'kept' : 'deleted'],
  );
}

describe('destroy', () => {
  it('refuses without --yes (2), and destroys nothing', async () => {
    await writeThreeVersions('api.token');
    expect(await cli.expectFailure(['destroy', 'api.token', '--versions', '1'], 2, 'USAGE')).toBe(
      'destroy erases the values of "api.token" for good, which cannot be undone: add --yes to confirm',
    );
    await cli.expectFailure(['destroy', 'api.token'], 2, 'USAGE');
    expect(await states('api.token')).toEqual([
      [3, 'kept'],
      [2, 'kept'],
      [1, 'kept'],
    ]);
  });

  it('erases the versions given; the others still read', async () => {
    await writeThreeVersions('api.token');
    expect(expectOk(await cli.run(['destroy', 'api.token', '--versions', '2,1', '--yes']))).toBe(
      'api.token: destroyed versions 1, 2\n',
    );
    expect(await states('api.token')).toEqual([
      [3, 'kept'],
      [2, 'destroyed'],
      [1, 'destroyed'],
    ]);
    await cli.expectFailure(['get', 'api.token', '--version', '1'], 1, 'SECRET_VERSION_NOT_FOUND');
    await cli.expectFailure(['restore', 'api.token', '2'], 1, 'SECRET_VERSION_NOT_FOUND');
    expect(expectJson(await cli.run(['--json', 'get', 'api.token'])).value).toEqual(values[2]);
    // Destroyed before: not repeated.
    expect(expectJson(await cli.run(['--json', 'destroy', 'api.token', '--versions', '1', '--yes']))).toEqual({
      key: 'api.token',
      destroyed: [],
    });
  });

  it('without --versions erases every version and the secret, keeping the record that they existed', async () => {
    await writeThreeVersions('api.token');
    expectOk(await cli.run(['destroy', 'api.token', '--versions', '1', '--yes']));
    expect(expectJson(await cli.run(['--json', 'destroy', 'api.token', '--yes']))).toEqual({
      key: 'api.token',
      destroyed: [2, 3],
    });
    await cli.expectFailure(['get', 'api.token'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['meta', 'api.token'], 1, 'SECRET_NOT_FOUND');
    expect(expectJson(await cli.run(['--json', 'list', '--deleted'])).secrets).toEqual([]);
    expect(await states('api.token')).toEqual([
      [3, 'destroyed'],
      [2, 'destroyed'],
      [1, 'destroyed'],
    ]);
    expect(expectOk(await cli.run(['destroy', 'api.token', '--yes']))).toBe(
      'api.token: no version was left to destroy; the secret is gone for good\n',
    );
  });

  it('destroys a deleted secret too', async () => {
    await writeThreeVersions('api.token');
    expectOk(await cli.run(['delete', 'api.token']));
    expect(expectOk(await cli.run(['destroy', 'api.token', '--yes']))).toBe(
      'api.token: destroyed versions 1, 2, 3; the secret is gone for good\n',
    );
    await cli.expectFailure(['undelete', 'api.token'], 1, 'SECRET_NOT_FOUND');
  });

  it('exits 1 for a missing key or a version that does not exist, destroying none of the others', async () => {
    await writeThreeVersions('api.token');
    expect(
      await cli.expectFailure(['destroy', 'api.token', '--versions', '3,9', '--yes'], 1, 'SECRET_VERSION_NOT_FOUND'),
    ).toMatch(/^Version 9 of secret "api\.token" was not found/);
    expect(await states('api.token')).toEqual([
      [3, 'kept'],
      [2, 'kept'],
      [1, 'kept'],
    ]);
    await cli.expectFailure(['destroy', 'api.missing', '--yes'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['destroy', 'api.missing', '--versions', '1', '--yes'], 1, 'SECRET_NOT_FOUND');
  });

  it.each(['', '1,,2', '1,x', '0', '1.5', '-1'])('--versions %j is a usage error (2)', async (versions) => {
    expect(await cli.expectFailure(['destroy', 'api.token', '--versions', versions, '--yes'], 2, 'USAGE')).toContain(
      '--versions',
    );
  });
});

describe('purge', () => {
  /** Moves the deletion of `key` `days` into the past, as time passing would. */
  async function deletedDaysAgo(key: string, days: number): Promise<void> {
    const { rowCount } = await cli.database.query('UPDATE secret_store SET deleted_at = $2 WHERE key = $1', [
      key,
      new Date(Date.now() - days * DAY),
    ]);
    expect(rowCount).toBe(1);
  }

  async function seed(): Promise<void> {
    for (const key of ['old.a', 'old.b', 'recent', 'kept']) {
      expectOk(await cli.run(['set', key, JSON.stringify(values[0])]));
      if (key !== 'kept') expectOk(await cli.run(['delete', key]));
    }
    await deletedDaysAgo('old.a', 31);
    await deletedDaysAgo('old.b', 40);
    await deletedDaysAgo('recent', 29);
  }

  it('refuses without --yes (2), and purges nothing', async () => {
    await seed();
    expect(await cli.expectFailure(['purge', '--older-than', '30d'], 2, 'USAGE')).toBe(
      'purge removes secrets deleted over 30d ago, with every version, for good, which cannot be undone: add --yes to confirm',
    );
    expect(expectJson(await cli.run(['--json', 'list', '--deleted'])).secrets).toHaveLength(4);
  });

  it('removes the secrets deleted longer ago than the window, with every version, and only those', async () => {
    await seed();
    expect(expectOk(await cli.run(['purge', '--older-than', '30d', '--yes']))).toBe(
      'purged 2 secrets deleted over 30d ago:\n  old.a\n  old.b\n',
    );
    expect(
      (expectJson(await cli.run(['--json', 'list', '--deleted'])).secrets as Json[]).map(({ key }) => key),
    ).toEqual(['kept', 'recent']);
    await cli.expectFailure(['history', 'old.a'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['get', 'old.b', '--version', '1'], 1, 'SECRET_VERSION_NOT_FOUND');
    expect(expectOk(await cli.run(['undelete', 'recent']))).toBe('undeleted recent, back at version 1\n');

    expect(expectJson(await cli.run(['--json', 'purge', '--older-than', '4w', '--yes']))).toEqual({
      olderThan: 28 * DAY,
      purged: [],
    });
    expect(expectOk(await cli.run(['purge', '--older-than', '2w', '--yes']))).toBe(
      'nothing to purge: no secret was deleted over 2w ago\n',
    );
  });

  it('takes a window of 0s: every deleted secret', async () => {
    await seed();
    expect(expectJson(await cli.run(['--json', 'purge', '--older-than', '0s', '--yes']))).toEqual({
      olderThan: 0,
      purged: ['old.a', 'old.b', 'recent'],
    });
    expect(expectJson(await cli.run(['--json', 'list', '--deleted'])).secrets).toEqual([
      expect.objectContaining({ key: 'kept' }),
    ]);
  });

  it.each([['30'], ['1.5d'], ['1d12h'], ['-1d'], ['30D'], ['']])(
    '--older-than %j is a usage error (2)',
    async (window) => {
      expect(await cli.expectFailure(['purge', '--older-than', window, '--yes'], 2, 'USAGE')).toContain('--older-than');
    },
  );

  it('needs --older-than (2)', async () => {
    expect(await cli.expectFailure(['purge', '--yes'], 2, 'USAGE')).toContain("'--older-than <duration>'");
  });
});

describe('where there is no store', () => {
  const folder = useCliFolder('secretstore-cli-destroy-');

  it('destroy exits 1, purge purges nothing, refusals come first, and nothing is created', async () => {
    const inFolder = (...args: string[]) => secretstore(folder.inDataDir(...args));
    expectErrorLine(await inFolder('destroy', 'api.token'), 2, 'USAGE');
    expectErrorLine(await inFolder('destroy', 'api.token', '--yes'), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await inFolder('destroy', ' api.token', '--yes'), 2, 'INVALID_SECRET_KEY');
    expectErrorLine(await inFolder('purge', '--older-than', '1d'), 2, 'USAGE');
    expect(expectJson(await inFolder('--json', 'purge', '--older-than', '1d', '--yes'))).toEqual({
      olderThan: DAY,
      purged: [],
    });
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
