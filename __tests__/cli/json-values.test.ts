/** `set` and `import` refuse JSON that would change on the way in, before anything is opened or written. */
import { existsSync, writeFileSync } from 'node:fs';

import { useCliFolder } from '../support/cli-folder';
import { expectJson, expectJsonError } from '../support/cli-output';
import { secretstore, stdinOf } from '../support/cli-run';

jest.setTimeout(120_000);

const folder = useCliFolder('secretstore-json-values-');

const BIG = '{"account_id": 12345678901234567890, "dup": 1, "dup": 2}';

describe('values that JSON.parse would change silently', () => {
  it.each([
    ['an argument', (): string[] => ['set', 'big', BIG], 'the value argument'],
    ['stdin', (): string[] => ['set', 'big'], 'the value on stdin'],
  ])('set refuses them from %s with exit 2, naming the path, creating nothing', async (_, args, source) => {
    const refused = expectJsonError(
      await secretstore(folder.inDataDir('--json', ...args()), { stdin: stdinOf([BIG]) }),
      2,
      'UNSAFE_NUMBER',
    );

    expect(refused).toEqual({
      code: 'UNSAFE_NUMBER',
      message: `${source} has an integer outside ±(2^53−1) at $.account_id that a JavaScript number cannot hold exactly; store it as a string`,
    });
    expect(existsSync(folder.dataDir)).toBe(false);
  });

  it('set refuses a property given twice with exit 2', async () => {
    const refused = expectJsonError(
      await secretstore(folder.inDataDir('--json', 'set', 'dup', '{"a":1,"a":1}')),
      2,
      'INVALID_JSON',
    );
    expect(refused).toEqual({
      code: 'INVALID_JSON',
      message: 'the value argument gives the property $.a twice',
    });
  });

  it('import refuses the whole file, writing none of it', async () => {
    const seeded = await secretstore(folder.inDataDir('set', 'keep', '{"n":1}'));
    expect(seeded.code).toBe(0);
    const file = folder.join('import.json');
    for (const [text, code, message] of [
      [`{"ok": {"n": 2}, "bad": {"id": 9007199254740993}}`, 'UNSAFE_NUMBER', '$.bad.id'],
      [`{"ok": {"n": 2}, "ok": {"n": 3}}`, 'INVALID_JSON', 'gives the property $.ok twice'],
    ]) {
      writeFileSync(file, text);
      const refused = expectJsonError(await secretstore(folder.inDataDir('--json', 'import', file)), 2, code);
      expect(refused.message).toContain(message);
    }
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'export')))).toEqual({ keep: { n: 1 } });
  });

  it('set stores a value whose numbers JSON holds exactly, unchanged', async () => {
    const value = '{"n":[9007199254740991,-0.5,1e-7,0.1],"s":"✓"}';
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'set', 'exact', value)))).toMatchObject({
      version: 1,
    });
    expect(expectJson(await secretstore(folder.inDataDir('--json', 'get', 'exact')))).toEqual({
      key: 'exact',
      value: JSON.parse(value) as unknown,
    });
  });
});
