/**
 * `audit`, and who changes are attributed to, run in process on this file's database (server or PGlite): the
 * trail's records in pages, for one key or all; --verify (exit 5 when a record was altered, or the trail no
 * longer holds a head kept outside it); --seal; the actor from --actor, SECRETSTORE_ACTOR, else the OS user.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';

import { useCliDatabase } from '../support/cli-database';
import { useCliFolder } from '../support/cli-folder';
import {
  CANARY,
  expectErrorLine,
  expectJson,
  expectNoSecretIn,
  expectOk,
  ISO_TIME,
  TABLE_TIME,
  type CliRun,
  type Json,
} from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { cellsOf } from '../support/cli-table';

jest.setTimeout(120_000);

const cli = useCliDatabase();

/** A run that printed its result but exits 5: a trail that does not verify. */
function expectNotVerified(result: CliRun): string {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 5, stderr: '' });
  expectNoSecretIn(result.stdout);
  return result.stdout;
}

/** Changes by two actors: set, set, delete, undelete, metadata, restore, destroy of a version, and a set of another key. */
async function seed(): Promise<void> {
  const value = JSON.stringify({ token: CANARY });
  expectOk(await cli.run(['set', 'api.token', value], { actor: 'alice' }));
  expectOk(await cli.run(['set', 'api.token', value], { actor: 'alice' }));
  expectOk(await cli.run(['--actor', 'bob', 'delete', 'api.token'], { actor: 'alice' }));
  expectOk(await cli.run(['undelete', 'api.token'], { actor: 'bob' }));
  expectOk(await cli.run(['meta', 'api.token', '--description', 'd'], { actor: 'bob' }));
  expectOk(await cli.run(['restore', 'api.token', '1'], { actor: 'bob' }));
  expectOk(await cli.run(['destroy', 'api.token', '--versions', '1', '--yes'], { actor: 'bob' }));
  expectOk(await cli.run(['set', 'db.main', value], { actor: 'alice' }));
}

const SEEDED = [
  ['set', 'api.token', [1], 'alice'],
  ['set', 'api.token', [2], 'alice'],
  ['delete', 'api.token', [2], 'bob'],
  ['undelete', 'api.token', [2], 'bob'],
  ['update-metadata', 'api.token', [2], 'bob'],
  ['restore', 'api.token', [3], 'bob'],
  ['destroy', 'api.token', [1], 'bob'],
  ['set', 'db.main', [1], 'alice'],
] as const;

const recordsOf = (json: Json): Json[] => json.records as Json[];

describe('audit', () => {
  it('lists every change, oldest first, with its actor, for a person and as JSON; never a value', async () => {
    await seed();
    const listed = await cli.run(['audit']);
    expectNoSecretIn(listed.stdout);
    expect(cellsOf(expectOk(listed))).toEqual([
      ['SEQ', 'AT', 'OPERATION', 'KEY', 'VERSIONS', 'ACTOR'],
      ...SEEDED.map(([operation, key, versions, actor]): unknown[] => [
        expect.stringMatching(/^\d+$/),
        TABLE_TIME,
        operation,
        key,
        versions.join(','),
        actor,
      ]),
    ]);
    const json = expectJson(await cli.run(['--json', 'audit']));
    expect(json).toEqual({
      records: SEEDED.map(([operation, key, versions, actor]) => ({
        seq: expect.any(Number) as unknown,
        at: ISO_TIME,
        operation,
        key,
        versions,
        keys: [],
        actor,
        checkpoint: null,
      })),
    });
    const seqs = recordsOf(json).map(({ seq }) => seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('lists the records of one key, and pages with --limit and --after', async () => {
    await seed();
    expect(recordsOf(expectJson(await cli.run(['--json', 'audit', '--key', 'db.main'])))).toEqual([
      expect.objectContaining({ operation: 'set', key: 'db.main', versions: [1] }),
    ]);

    const seen: Json[] = [];
    let after: number | undefined;
    for (let page = 0; page < SEEDED.length; page += 1) {
      const args = ['--json', 'audit', '--key', 'api.token', '--limit', '3'];
      const json = expectJson(await cli.run(after === undefined ? args : [...args, '--after', String(after)]));
      seen.push(...recordsOf(json));
      after = json.next as number | undefined;
      if (after === undefined) break;
      expect(after).toBe(recordsOf(json).at(-1)?.seq);
    }
    expect(seen.map(({ operation }) => operation)).toEqual(SEEDED.slice(0, 7).map(([operation]) => operation));

    // For a person, the next page's command.
    const text = expectOk(await cli.run(['audit', '--limit', '2']));
    const [, next] = /\nmore: secretstore audit --after (\d+)\n$/.exec(text) ?? [];
    expect(next).toBe(String(seen[1].seq));
    expect(expectOk(await cli.run(['audit', '--key', 'api.missing']))).toBe('no audit records of "api.missing"\n');
  });

  it('attributes changes to --actor, else SECRETSTORE_ACTOR, else cli:<OS user>', async () => {
    expectOk(await cli.run(['set', 'a', '{}']));
    expectOk(await cli.run(['set', 'b', '{}'], { actor: 'deploy-bot' }));
    expectOk(await cli.run(['--actor', 'carol', 'set', 'c', '{}'], { actor: 'deploy-bot' }));
    expect(recordsOf(expectJson(await cli.run(['--json', 'audit']))).map(({ key, actor }) => [key, actor])).toEqual([
      ['a', `cli:${userInfo().username}`],
      ['b', 'deploy-bot'],
      ['c', 'carol'],
    ]);
    expect(await cli.expectFailure(['--actor', '', 'set', 'd', '{}'], 2, 'USAGE')).toContain('--actor');
    await cli.expectFailure(['--actor', 'x'.repeat(257), 'set', 'd', '{}'], 2, 'USAGE');
  });

  it('records a purge with the keys it removed', async () => {
    await seed();
    expectOk(await cli.run(['delete', 'db.main']));
    expectOk(await cli.run(['purge', '--older-than', '0s', '--yes'], { actor: 'janitor' }));
    expect(recordsOf(expectJson(await cli.run(['--json', 'audit']))).at(-1)).toMatchObject({
      operation: 'purge',
      key: null,
      keys: ['db.main'],
      actor: 'janitor',
    });
  });
});

describe('audit --verify and --seal', () => {
  it('verifies an untouched trail, seals it, and verifies it against the head kept outside', async () => {
    await seed();
    expect(cellsOf(expectOk(await cli.run(['audit', '--verify'])))).toEqual([
      ['verified', 'ok'],
      ['checked', String(SEEDED.length)],
      ['unsealed', String(SEEDED.length)],
      ['head', JSON.stringify({ checkpoint: 0, records: 0, digest: '' })],
    ]);

    const sealed = await cli.run(['audit', '--seal']);
    expect(sealed.code).toBe(0);
    expect(sealed.stderr).toBe(
      'secretstore: keep this head outside the database; `audit --verify --head <it>` checks it\n',
    );
    const head = JSON.parse(sealed.stdout) as Json;
    expect(head).toEqual({
      checkpoint: expect.any(Number) as unknown,
      records: SEEDED.length,
      digest: expect.any(String) as unknown,
    });
    expect(recordsOf(expectJson(await cli.run(['--json', 'audit']))).map(({ checkpoint }) => checkpoint)).toEqual(
      SEEDED.map(() => head.checkpoint),
    );

    expectOk(await cli.run(['set', 'api.token', '{}']));
    expect(expectJson(await cli.run(['--json', 'audit', '--verify', '--head', JSON.stringify(head)]))).toEqual({
      ok: true,
      checked: SEEDED.length + 1,
      unsealed: 1,
      head,
    });
    // --seal with --json prints the same head, with no notice.
    const again = expectJson(await cli.run(['--json', 'audit', '--seal']), 'silent');
    expect(again).toMatchObject({ records: SEEDED.length + 1 });
  });

  it('exits 5 when a record was altered, naming it', async () => {
    await seed();
    const records = recordsOf(expectJson(await cli.run(['--json', 'audit'])));
    // Someone with write access to the table puts the blame on another actor.
    await cli.database.query("UPDATE secret_audit_log SET actor = 'alice' WHERE seq = $1", [records[2].seq]);
    const json = JSON.parse(expectNotVerified(await cli.run(['--json', 'audit', '--verify']))) as Json;
    expect(json).toMatchObject({
      ok: false,
      firstProblem: { kind: 'record-altered', seq: records[2].seq, message: expect.any(String) as unknown },
    });
    const fields = cellsOf(expectNotVerified(await cli.run(['audit', '--verify'])));
    expect(fields[0]).toEqual(['verified', 'NO']);
    expect(fields.at(-1)).toEqual(['problem', expect.stringMatching(/ \(record-altered\)$/)]);
  });

  it('exits 5 when the trail no longer holds the head kept outside it', async () => {
    await seed();
    const head = JSON.parse((await cli.run(['audit', '--seal'])).stdout) as Json;
    const forged = JSON.stringify({ ...head, digest: Buffer.alloc(32).toString('base64') });
    const json = JSON.parse(
      expectNotVerified(await cli.run(['--json', 'audit', '--verify', '--head', forged])),
    ) as Json;
    expect(json).toMatchObject({ ok: false, head, firstProblem: { kind: 'head-not-found' } });
  });

  it.each<[string, string[], number, string]>([
    ['--head that is not JSON', ['--verify', '--head', 'nope'], 2, 'INVALID_JSON'],
    ['--head without --verify', ['--head', '{}'], 2, 'USAGE'],
    ['--key with --verify', ['--key', 'a', '--verify'], 2, 'USAGE'],
    ['--verify with --seal', ['--verify', '--seal'], 2, 'USAGE'],
    ['--limit with --seal', ['--seal', '--limit', '5'], 2, 'USAGE'],
    ['--limit 0', ['--limit', '0'], 2, 'USAGE'],
    ['--after -1', ['--after', '-1'], 2, 'USAGE'],
    ['--limit over 10000', ['--limit', '10001'], 2, 'INVALID_ARGUMENT'],
    ['an invalid --key', ['--key', ' a'], 2, 'INVALID_SECRET_KEY'],
  ])('refuses %s', async (_what, options, exitCode, code) => {
    await cli.expectFailure(['audit', ...options], exitCode, code);
  });
});

describe('where there is no store', () => {
  const folder = useCliFolder('secretstore-cli-audit-');

  it('lists no records, verifies, seals nothing, and creates nothing', async () => {
    const inFolder = (...args: string[]) => secretstore(folder.inDataDir(...args));
    expect(expectOk(await inFolder('audit'))).toBe('no audit records\n');
    expect(expectJson(await inFolder('--json', 'audit', '--key', 'api.token'))).toEqual({ records: [] });
    expectErrorLine(await inFolder('audit', '--key', ''), 2, 'INVALID_SECRET_KEY');
    const empty = { checkpoint: 0, records: 0, digest: '' };
    expect(expectJson(await inFolder('--json', 'audit', '--verify'))).toEqual({
      ok: true,
      checked: 0,
      unsealed: 0,
      head: empty,
    });
    expect(expectJson(await inFolder('--json', 'audit', '--seal'))).toEqual(empty);
    const held = { checkpoint: 3, records: 9, digest: 'x' };
    const json = JSON.parse(
      expectNotVerified(await inFolder('--json', 'audit', '--verify', '--head', JSON.stringify(held))),
    ) as Json;
    expect(json).toMatchObject({ ok: false, firstProblem: { kind: 'head-not-found', checkpoint: 3 } });
    expect(existsSync(folder.dataDir)).toBe(false);
  });
});
