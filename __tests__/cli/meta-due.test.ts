/**
 * `meta`, the metadata options of `set`, and `due`, run in process on this file's database (server or
 * PGlite): metadata shown and patched (JSON Merge Patch: a field given is set, `none` or "" removes it),
 * never changing the version; dates read strictly; the secrets whose expiry or rotation date is near or past.
 */
import { existsSync } from 'node:fs';

import { useCliDatabase } from '../support/cli-database';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, expectErrorLine, expectJson, expectOk, ISO_TIME, TABLE_TIME } from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { cellsOf } from '../support/cli-table';

jest.setTimeout(120_000);

const cli = useCliDatabase();
const DAY = 24 * 60 * 60 * 1000;

/** A date `days` from now (negative: ago), to the second, as the CLI takes it. */
const daysFromNow = (days: number): string => new Date(Date.now() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
const asJsonTime = (date: string): string => new Date(date).toISOString();

describe('meta', () => {
  it('shows the metadata set with the value, for a person and as JSON', async () => {
    expectOk(
      await cli.run([
        'set',
        'api.token',
        JSON.stringify({ token: CANARY }),
        '--description',
        'the payments API token',
        '--tag',
        'team=payments',
        '--tag',
        'env=prod',
        '--expires-at',
        '2031-06-30',
        '--max-versions',
        '5',
      ]),
    );
    expect(expectJson(await cli.run(['--json', 'meta', 'api.token']))).toEqual({
      key: 'api.token',
      version: 1,
      encoding: 'aes-256-gcm',
      keyId: 'k1',
      createdAt: ISO_TIME,
      updatedAt: ISO_TIME,
      deletedAt: null,
      description: 'the payments API token',
      tags: { team: 'payments', env: 'prod' },
      expiresAt: '2031-06-30T00:00:00.000Z',
      rotateAfter: null,
      maxVersions: 5,
    });
    expect(cellsOf(expectOk(await cli.run(['meta', 'api.token'])))).toEqual([
      ['key', 'api.token'],
      ['version', '1'],
      ['description', 'the payments API token'],
      ['tags', expect.stringMatching(/^(team=payments, env=prod|env=prod, team=payments)$/)],
      ['expires at', '2031-06-30T00:00:00Z'],
      ['rotate after', '-'],
      ['max versions', '5'],
      ['created', TABLE_TIME],
      ['updated', TABLE_TIME],
    ]);
  });

  it('patches: fields given are set, none and "" remove, other fields and the version stay', async () => {
    expectOk(await cli.run(['set', 'api.token', '{}', '--description', 'd', '--tag', 'team=x', '--tag', 'env=dev']));
    expectOk(await cli.run(['set', 'api.token', '{"v":2}']));
    const patched = expectJson(
      await cli.run([
        '--json',
        'meta',
        'api.token',
        '--tag',
        'env=prod',
        '--untag',
        'team',
        '--rotate-after',
        '2030-01-01T12:00+02:00',
        '--expires-at',
        '2031-01-01',
        '--max-versions',
        '4',
        '--if-version',
        '2',
      ]),
    );
    expect(patched).toMatchObject({
      version: 2,
      description: 'd',
      tags: { env: 'prod' },
      rotateAfter: '2030-01-01T10:00:00.000Z',
      expiresAt: '2031-01-01T00:00:00.000Z',
      maxVersions: 4,
    });
    const removed = expectJson(
      await cli.run([
        '--json',
        'meta',
        'api.token',
        '--description',
        '',
        '--expires-at',
        'none',
        '--untag',
        'env',
        '--max-versions',
        'none',
      ]),
    );
    expect(removed).toMatchObject({
      version: 2,
      description: null,
      tags: {},
      rotateAfter: '2030-01-01T10:00:00.000Z',
      expiresAt: null,
      maxVersions: null,
    });
    // What meta showed is what is stored.
    expect(expectJson(await cli.run(['--json', 'meta', 'api.token']))).toEqual(removed);
    expect(expectJson(await cli.run(['--json', 'get', 'api.token'])).value).toEqual({ v: 2 });
  });

  it('exits 1 for a missing or deleted secret, 5 for a stale --if-version, and changes nothing', async () => {
    expectOk(await cli.run(['set', 'api.token', '{}', '--description', 'kept']));
    expect(
      await cli.expectFailure(
        ['meta', 'api.token', '--description', 'x', '--if-version', '3'],
        5,
        'SECRET_VERSION_CONFLICT',
      ),
    ).toBe('Secret "api.token" is at version 1, not 3: it changed since it was read');
    await cli.expectFailure(['meta', 'api.missing'], 1, 'SECRET_NOT_FOUND');
    await cli.expectFailure(['meta', 'api.missing', '--description', 'x'], 1, 'SECRET_NOT_FOUND');
    expectOk(await cli.run(['set', 'db.main', '{}']));
    expectOk(await cli.run(['delete', 'db.main']));
    await cli.expectFailure(['meta', 'db.main'], 1, 'SECRET_NOT_FOUND');
    expect(expectJson(await cli.run(['--json', 'meta', 'api.token'])).description).toBe('kept');
  });

  it.each<[string, string[], string]>([
    ['a date that does not exist', ['--expires-at', '2025-02-30'], '2025-02-30 does not'],
    ['a time without offset', ['--expires-at', '2025-06-30T12:00'], '--expires-at'],
    ['a date in another format', ['--rotate-after', '30/06/2025'], '--rotate-after'],
    ['a tag without =', ['--tag', 'team'], '--tag expects name=value'],
    ['a tag without name', ['--tag', '=x'], '--tag expects name=value'],
    ['a tag set and removed', ['--tag', 'team=x', '--untag', 'team'], 'the tag "team" is given twice'],
    ['max versions 0', ['--max-versions', '0'], '--max-versions'],
    ['max versions 1001', ['--max-versions', '1001'], '--max-versions'],
    ['--if-version without a change', ['--if-version', '1'], '--if-version guards a change'],
  ])('refuses %s (2)', async (_what, options, message) => {
    expectOk(await cli.run(['set', 'api.token', '{}']));
    expect(await cli.expectFailure(['meta', 'api.token', ...options], 2, 'USAGE')).toContain(message);
    expect(expectJson(await cli.run(['--json', 'meta', 'api.token']))).toMatchObject({
      description: null,
      tags: {},
      expiresAt: null,
      rotateAfter: null,
      maxVersions: null,
    });
  });

  it('refuses what the store refuses (2): a description over 1,000 characters', async () => {
    expectOk(await cli.run(['set', 'api.token', '{}']));
    await cli.expectFailure(['meta', 'api.token', '--description', 'x'.repeat(1001)], 2, 'INVALID_ARGUMENT');
  });
});

describe('due', () => {
  const passed = daysFromNow(-400);
  const soon = daysFromNow(10);
  const later = daysFromNow(60);

  async function seed(): Promise<void> {
    expectOk(await cli.run(['set', 'api.expired', '{}', '--expires-at', passed]));
    expectOk(await cli.run(['set', 'api.rotate', '{}', '--rotate-after', soon]));
    expectOk(await cli.run(['set', 'api.later', '{}', '--expires-at', later]));
    expectOk(await cli.run(['set', 'api.undated', '{}']));
  }

  it('lists what is due within 14 days by default, passed dates included, soonest first', async () => {
    await seed();
    expect(expectJson(await cli.run(['--json', 'due']))).toEqual({
      within: 14 * DAY,
      due: [
        { key: 'api.expired', due: 'expiresAt', at: asJsonTime(passed) },
        { key: 'api.rotate', due: 'rotateAfter', at: asJsonTime(soon) },
      ],
    });
    expect(cellsOf(expectOk(await cli.run(['due'])))).toEqual([
      ['KEY', 'DUE', 'AT', 'PASSED'],
      ['api.expired', 'expires', passed, 'yes'],
      ['api.rotate', 'rotate', soon, 'no'],
    ]);
    // A secret past its expiry still reads.
    expect(expectJson(await cli.run(['--json', 'get', 'api.expired'])).value).toEqual({});
  });

  it('takes a window: --within', async () => {
    await seed();
    const wide = expectJson(await cli.run(['--json', 'due', '--within', '13w']));
    expect(wide.within).toBe(91 * DAY);
    expect((wide.due as { key: string }[]).map(({ key }) => key)).toEqual(['api.expired', 'api.rotate', 'api.later']);
    expect(expectJson(await cli.run(['--json', 'due', '--within', '0s'])).due).toEqual([
      { key: 'api.expired', due: 'expiresAt', at: asJsonTime(passed) },
    ]);
  });

  it('says when nothing is due', async () => {
    expectOk(await cli.run(['set', 'api.undated', '{}']));
    expect(expectOk(await cli.run(['due', '--within', '2w']))).toBe('nothing due within 2w\n');
    expect(expectJson(await cli.run(['--json', 'due', '--within', '36h']))).toEqual({
      within: 36 * 60 * 60 * 1000,
      due: [],
    });
  });

  it.each(['14', '2 weeks', '1.5d', 'd', '-1d'])('refuses --within %j (2)', async (window) => {
    expect(await cli.expectFailure(['due', '--within', window], 2, 'USAGE')).toContain('--within');
  });
});

describe('where there is no store', () => {
  const folder = useCliFolder('secretstore-cli-meta-');

  it('meta exits 1, due finds nothing, and nothing is created', async () => {
    const inFolder = (...args: string[]) => secretstore(folder.inDataDir(...args));
    expectErrorLine(await inFolder('meta', 'api.token'), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await inFolder('meta', 'api.token', '--description', 'x'), 1, 'SECRET_NOT_FOUND');
    expectErrorLine(await inFolder('meta', ''), 2, 'INVALID_SECRET_KEY');
    expect(expectJson(await inFolder('--json', 'due'))).toEqual({ within: 14 * DAY, due: [] });
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
