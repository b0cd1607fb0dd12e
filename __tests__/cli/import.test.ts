/**
 * `import`, run in process: a dry run that writes nothing, values compared as JSON (members in any order), and
 * a file imported all or nothing, in one transaction.
 */
import { useCliFolder } from '../support/cli-folder';
import { CANARY, expectErrorLine, expectJson, expectJsonError, expectOk, type CliRun } from '../support/cli-output';
import { secretstore } from '../support/cli-run';

const TIMEOUT = 60_000;

const folder = useCliFolder('secretstore-cli-import-');

describe('import', () => {
  // What is stored, what the second import brings, and what it does: members compare regardless of order.
  const comparisons: { key: string; stored?: object; imported: object; action: string }[] = [
    { key: 'same.object', stored: { a: 1, b: [1, 2] }, imported: { b: [1, 2], a: 1 }, action: 'unchanged' },
    {
      key: 'same.nested',
      stored: { a: { x: [{ y: null }] } },
      imported: { a: { x: [{ y: null }] } },
      action: 'unchanged',
    },
    { key: 'same.array', stored: [{ token: CANARY }], imported: [{ token: CANARY }], action: 'unchanged' },
    { key: 'array.for.object', stored: { a: [1] }, imported: { a: { 0: 1 } }, action: 'updated' },
    { key: 'object.for.array', stored: { a: { 0: 1 } }, imported: { a: [1] }, action: 'updated' },
    { key: 'array.longer', stored: [1, 2], imported: [1, 2, 3], action: 'updated' },
    { key: 'array.item', stored: [1, 2], imported: [1, 3], action: 'updated' },
    { key: 'member.renamed', stored: { a: 1, b: 2 }, imported: { a: 1, c: 2 }, action: 'updated' },
    { key: 'member.added', stored: { a: 1 }, imported: { a: 1, b: 2 }, action: 'updated' },
    { key: 'null.for.object', stored: { a: null }, imported: { a: {} }, action: 'updated' },
    { key: 'object.for.null', stored: { a: {} }, imported: { a: null }, action: 'updated' },
    { key: 'string.for.number', stored: { a: 1 }, imported: { a: '1' }, action: 'updated' },
    { key: 'new.key', imported: { token: CANARY }, action: 'created' },
  ];
  const count = (action: string): number => comparisons.filter((item) => item.action === action).length;

  it(
    'dry-runs without writing, compares JSON values, imports all or nothing',
    async () => {
      const inData = (...args: string[]): Promise<CliRun> => secretstore(folder.inDataDir(...args));

      expect(expectOk(await inData('import', folder.writeJson('empty.json', {})))).toBe(
        'imported in one transaction: created 0, updated 0, unchanged 0\n',
      );
      const stored = Object.fromEntries(comparisons.flatMap(({ key, stored: value }) => (value ? [[key, value]] : [])));
      expect(expectJson(await inData('--json', 'import', folder.writeJson('stored.json', stored)))).toEqual({
        dryRun: false,
        secrets: Object.keys(stored).map((key) => ({ key, action: 'created' })),
        created: Object.keys(stored).length,
        updated: 0,
        unchanged: 0,
      });

      const changes = folder.writeJson(
        'changes.json',
        Object.fromEntries(comparisons.map(({ key, imported }) => [key, imported])),
      );
      const plan = expectOk(await inData('import', changes, '--dry-run'));
      expect(
        plan
          .trimEnd()
          .split('\n')
          .map((line) => line.split(/\s{2,}/)),
      ).toEqual([
        ['KEY', 'WOULD BE'],
        ...comparisons.map(({ key, action }) => [key, action]),
        [
          `dry run, nothing written: would create ${count('created')}, update ${count('updated')}, ` +
            `leave ${count('unchanged')} unchanged`,
        ],
      ]);
      expectErrorLine(await inData('get', 'new.key'), 1, 'SECRET_NOT_FOUND');

      const imported = expectOk(await inData('import', changes));
      expect(
        imported
          .trimEnd()
          .split('\n')
          .map((line) => line.split(/\s{2,}/)),
      ).toEqual([
        ['KEY', 'ACTION'],
        ...comparisons.map(({ key, action }) => [key, action]),
        [
          `imported in one transaction: created ${count('created')}, updated ${count('updated')}, ` +
            `unchanged ${count('unchanged')}`,
        ],
      ]);
      expect(expectJson(await inData('--json', 'import', changes, '--dry-run'))).toEqual({
        dryRun: true,
        secrets: comparisons.map(({ key }) => ({ key, action: 'unchanged' })),
        created: 0,
        updated: 0,
        unchanged: comparisons.length,
      });

      // A value that is not an object or array: the dry run says so, and a real import writes none of the file.
      const invalid = folder.writeJson('invalid.json', {
        'later.key': { token: CANARY },
        'same.object': { a: 2 },
        'zz.last': 7,
      });
      expect(expectErrorLine(await inData('import', invalid, '--dry-run'), 2, 'INVALID_SECRET_VALUE')).toContain(
        '"zz.last"',
      );
      expect(expectJsonError(await inData('--json', 'import', invalid), 2, 'INVALID_SECRET_VALUE').message).toContain(
        '"zz.last"',
      );
      expect(expectJson(await inData('--json', 'get', 'same.object'))).toEqual({
        key: 'same.object',
        value: { a: 1, b: [1, 2] },
      });
      expectErrorLine(await inData('get', 'later.key'), 1, 'SECRET_NOT_FOUND');
    },
    TIMEOUT,
  );
});
