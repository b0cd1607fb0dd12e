/**
 * `delete` (soft), `undelete` and `list --deleted`, run in process on this file's database (server or PGlite):
 * a deleted secret reads as missing and leaves listings, shows only with --deleted, marked, and comes back at
 * the version it had; a new write to a deleted key is its next version.
 */
import { useCliDatabase } from '../support/cli-database';
import { CANARY, expectJson, expectOk, ISO_TIME, TABLE_TIME } from '../support/cli-output';
import { cellsOf } from '../support/cli-table';

jest.setTimeout(120_000);

const cli = useCliDatabase();
const token = { token: CANARY };

async function seed(): Promise<void> {
  expectOk(await cli.run(['set', 'api.token', JSON.stringify(token)]));
  expectOk(await cli.run(['set', 'api.token', JSON.stringify(token)]));
  expectOk(await cli.run(['set', 'db.main', '{"password":"x"}']));
}

describe('delete', () => {
  it('hides the secret from get and list; list --deleted shows it, marked', async () => {
    await seed();
    expect(expectOk(await cli.run(['delete', 'api.token']))).toBe(
      'deleted api.token: `secretstore undelete` brings it back; `secretstore destroy` erases it for good\n',
    );
    await cli.expectFailure(['get', 'api.token'], 1, 'SECRET_NOT_FOUND');
    expect(expectJson(await cli.run(['--json', 'list']))).toEqual({
      prefix: '',
      secrets: [expect.objectContaining({ key: 'db.main' })],
    });
    expect(cellsOf(expectOk(await cli.run(['list'])))).toEqual([
      ['KEY', 'VERSION', 'UPDATED'],
      ['db.main', '1', TABLE_TIME],
    ]);

    expect(cellsOf(expectOk(await cli.run(['list', '--deleted'])))).toEqual([
      ['KEY', 'VERSION', 'UPDATED', 'DELETED'],
      ['api.token', '2', TABLE_TIME, TABLE_TIME],
      ['db.main', '1', TABLE_TIME, '-'],
    ]);
    const listed = expectJson(await cli.run(['--json', 'list', '--deleted', '--values']));
    expect(listed.secrets).toEqual([
      // A deleted secret is listed without its value, even with --values.
      {
        key: 'api.token',
        version: 2,
        encoding: 'aes-256-gcm',
        keyId: 'k1',
        createdAt: ISO_TIME,
        updatedAt: ISO_TIME,
        deletedAt: ISO_TIME,
      },
      expect.objectContaining({ key: 'db.main', deletedAt: null, value: { password: 'x' } }),
    ]);
    expect(cellsOf(expectOk(await cli.run(['list', 'api.', '--deleted', '--values'])))).toEqual([
      ['KEY', 'VERSION', 'UPDATED', 'DELETED', 'VALUE'],
      ['api.token', '2', TABLE_TIME, TABLE_TIME, '-'],
    ]);
  });

  it('exits 1 for a key already deleted or never written, 2 for an invalid key', async () => {
    await seed();
    expectOk(await cli.run(['delete', 'api.token']));
    expect(await cli.expectFailure(['delete', 'api.token'], 1, 'SECRET_NOT_FOUND')).toBe(
      'Secret "api.token" was not found',
    );
    await cli.expectFailure(['delete', 'api.missing'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['delete', 'api.token\n'], 2, 'INVALID_SECRET_KEY');
    await cli.expectFailure(['delete'], 2, 'USAGE');
  });
});

describe('undelete', () => {
  it('brings a deleted secret back at the version it had, with its value', async () => {
    await seed();
    expect(expectJson(await cli.run(['--json', 'delete', 'api.token']))).toEqual({ key: 'api.token', deleted: true });
    expect(expectOk(await cli.run(['undelete', 'api.token']))).toBe('undeleted api.token, back at version 2\n');
    expect(expectJson(await cli.run(['--json', 'get', 'api.token']))).toEqual({ key: 'api.token', value: token });

    expectOk(await cli.run(['delete', 'api.token']));
    expect(expectJson(await cli.run(['--json', 'undelete', 'api.token']))).toEqual({
      key: 'api.token',
      undeleted: true,
      version: 2,
    });
    expect(cellsOf(expectOk(await cli.run(['list', '--deleted']))).map((row) => row[3])).toEqual(['DELETED', '-', '-']);
  });

  it('exits 1 for a secret that is not deleted (NOT_DELETED) or does not exist', async () => {
    await seed();
    expect(await cli.expectFailure(['undelete', 'api.token'], 1, 'NOT_DELETED')).toBe(
      'Secret "api.token" is not deleted: there is nothing to undelete',
    );
    await cli.expectFailure(['undelete', 'api.missing'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['undelete', ''], 2, 'INVALID_SECRET_KEY');
  });
});

describe('set on a deleted key', () => {
  it('writes the next version, and the secret is back', async () => {
    await seed();
    expectOk(await cli.run(['delete', 'api.token']));
    expect(expectJson(await cli.run(['--json', 'set', 'api.token', '["new"]']))).toEqual({
      key: 'api.token',
      version: 3,
      updatedAt: ISO_TIME,
    });
    expect(expectJson(await cli.run(['--json', 'get', 'api.token'])).value).toEqual(['new']);
    await cli.expectFailure(['undelete', 'api.token'], 1, 'NOT_DELETED');
  });

  it('with --if-version 0 succeeds, the key being absent', async () => {
    await seed();
    expectOk(await cli.run(['delete', 'db.main']));
    expect(expectJson(await cli.run(['--json', 'set', 'db.main', '{}', '--if-version', '0'])).version).toBe(2);
    await cli.expectFailure(['set', 'db.main', '{}', '--if-version', '0'], 5, 'SECRET_VERSION_CONFLICT');
  });
});
