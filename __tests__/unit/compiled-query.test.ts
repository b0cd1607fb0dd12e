import { CompiledQuery } from '../../src/database/compiled-query';
import type { Database } from '../../src/database/queryable';
import { PreparedQuery } from '@pgtyped/runtime';

import { getSecret, updateSecretIfVersion } from '../../src/generated/secret_store.queries';

/** A Database that records the statements it is given and answers with `rows`. */
function recordingDatabase(rows: unknown[] = []) {
  const sent: { text: string; values: unknown[] }[] = [];
  const database = {
    statement: jest.fn(async (text: string, values: unknown[]) => {
      sent.push({ text, values });
      return { rows, rowCount: rows.length };
    }),
  };
  return { sent, database: database as unknown as Database };
}

describe('CompiledQuery', () => {
  it("binds the values in the order of the statement's placeholders, with pgtyped's text", async () => {
    const compiled = await CompiledQuery.compile(updateSecretIfVersion, [
      'key',
      'valueJson',
      'encoding',
      'keyId',
      'ifVersion',
    ]);
    const { sent, database } = recordingDatabase([{ version: 8 }]);

    const rows = await compiled.run(
      { key: 'k', valueJson: '{}', encoding: 'plain', keyId: null, ifVersion: 7 },
      database,
    );

    expect(rows).toEqual([{ version: 8 }]);
    expect(sent).toHaveLength(1);
    expect(sent[0].text).toBe(compiled.text);
    expect(sent[0].text).toMatch(/SET value = \(\$1::text\)::jsonb/);
    expect(sent[0].text).toMatch(/WHERE key = \$4 AND version = \$5/);
    // $1 valueJson, $2 encoding, $3 keyId, $4 key, $5 ifVersion: the order the text uses them in.
    expect(sent[0].values).toEqual(['{}', 'plain', null, 'k', 7]);
  });

  it('compiles once: every call sends the same text', async () => {
    const compiled = await CompiledQuery.compile(getSecret, ['key']);
    const { sent, database } = recordingDatabase();

    await compiled.run({ key: 'a' }, database);
    await compiled.run({ key: 'b' }, database);

    expect(sent.map(({ text }) => text)).toEqual([compiled.text, compiled.text]);
    expect(sent.map(({ values }) => values)).toEqual([['a'], ['b']]);
  });

  it.each([
    ['a parameter left out', ['key', 'valueJson', 'encoding', 'keyId']],
    ['a parameter the query does not have', ['key', 'valueJson', 'encoding', 'keyId', 'ifVersion', 'extra']],
  ])('refuses %s', async (_, parameters) => {
    await expect(CompiledQuery.compile(updateSecretIfVersion, parameters as ('key' | 'ifVersion')[])).rejects.toThrow(
      'does not bind exactly the parameters',
    );
  });

  it('refuses a query whose result columns pgtyped would rename', async () => {
    // What pgtyped generates for `SELECT count(*)::int AS "secrets!" FROM secret_store`.
    const suffixed = new PreparedQuery<void, { secrets: number }>({
      usedParamSet: {},
      params: [],
      statement: 'SELECT count(*)::int AS "secrets!" FROM secret_store',
    });

    await expect(CompiledQuery.compile(suffixed, [])).rejects.toThrow('renames result columns');
  });
});
