import { readFileSync } from 'node:fs';
import path from 'node:path';

import { PreparedQuery } from '@pgtyped/runtime';
import ts from 'typescript';

import {
  generateStatements,
  readPgtypedQueries,
  reduceQuery,
  templateLiteral,
  type PgtypedQuery,
} from '../../scripts/generate-statements';
import type { Database } from '../../src/database/database';
import { runStatement, type Statement } from '../../src/database/statement';
import * as queries from '../../src/generated/secret_store.queries';
import * as statements from '../../src/generated/secret_store.statements';

const ROOT = path.resolve(__dirname, '../..');
const QUERIES_FILE = path.join(ROOT, 'src/generated/secret_store.queries.ts');
const STATEMENTS_FILE = path.join(ROOT, 'src/generated/secret_store.statements.ts');

/** The queries of `sql` as pgtyped's parser reads them, shaped as codegen reads them from pgtyped's output. */
async function parsedQueries(sql: string): Promise<PgtypedQuery[]> {
  const { parseSQLFile, queryASTToIR } = await import('@pgtyped/parser');
  const { queries: parsed, events } = parseSQLFile(sql);
  expect(events).toEqual([]);
  return parsed.map((ast) => ({
    name: ast.name,
    paramsType: `I${ast.name}Params`,
    resultType: `I${ast.name}Result`,
    ir: queryASTToIR(ast),
  }));
}

async function parsedQuery(sql: string): Promise<PgtypedQuery> {
  const [query] = await parsedQueries(sql);
  return query;
}

const generated = Object.entries(statements as Record<string, Statement<never, unknown>>);

describe('codegen: the reduction of pgtyped queries to statements', () => {
  it.each([
    [
      'a list expansion (...)',
      '/* @name GetByKeys\n  @param keys -> (...)\n*/\nSELECT key FROM secret_store WHERE key IN :keys!;',
      'parameter :keys is a list expansion (...), spread into one placeholder per element at run time; bind one array instead, e.g. = ANY(:keys!::text[])',
    ],
    [
      'a tuple (a, b)',
      '/* @name InsertPair\n  @param pair -> (key, version)\n*/\nINSERT INTO pairs (key, version) VALUES :pair;',
      'parameter :pair is a tuple (a, b)',
    ],
    [
      'a list of tuples ((a, b)...)',
      '/* @name InsertPairs\n  @param pairs -> ((key, version)...)\n*/\nINSERT INTO pairs (key, version) VALUES :pairs;',
      'parameter :pairs is a list of tuples',
    ],
    [
      'a result column suffixed with !',
      '/* @name CountSecrets */\nSELECT count(*)::int AS "secrets!" FROM secret_store;',
      'the quoted name "secrets!" ends in ! or ?',
    ],
    [
      'a result column suffixed with ?, without AS',
      '/* @name LastVersion */\nSELECT max(version) "version?" FROM secret_store WHERE key = :key!;',
      'the quoted name "version?" ends in ! or ?',
    ],
  ])('refuses %s, naming the query', async (_, sql, reason) => {
    const query = await parsedQuery(sql);

    expect(() => reduceQuery(query, 'sql/example.sql')).toThrow(`query ${query.name} of sql/example.sql: ${reason}`);
  });

  it('refuses a parameter bound to two placeholders', () => {
    // pgtyped's parser gives one parameter one placeholder; this IR binds :key at $1 and at $2.
    const key = (a: number, b: number) => ({
      name: 'key',
      required: true,
      transform: { type: 'scalar' },
      locs: [{ a, b }],
    });
    const query = {
      name: 'KeyTwice',
      paramsType: 'IKeyTwiceParams',
      resultType: 'IKeyTwiceResult',
      ir: {
        usedParamSet: { key: true },
        params: [key(39, 42), key(52, 55)],
        statement: 'SELECT key FROM secret_store WHERE key = :key OR key = :key',
      },
    } as unknown as PgtypedQuery;

    expect(() => reduceQuery(query, 'sql/example.sql')).toThrow(
      'query KeyTwice of sql/example.sql: parameter :key is bound to more than one placeholder',
    );
  });

  it('binds a parameter used twice to one placeholder, parameters in the order of their placeholders', async () => {
    const query = await parsedQuery(
      '/* @name Example */\nSELECT key FROM secret_store WHERE version = :version! AND (key = :key! OR key_id = :key!);',
    );

    expect(reduceQuery(query, 'sql/example.sql')).toEqual({
      name: 'Example',
      paramsType: 'IExampleParams',
      resultType: 'IExampleResult',
      text: 'SELECT key FROM secret_store WHERE version = $1 AND (key = $2 OR key_id = $2)',
      params: ['version', 'key'],
    });
  });

  it("holds pgtyped's text for the real queries, with the parameters in placeholder order", () => {
    expect(statements.getSecretVersion.text).toMatch(/\nWHERE key = \$1 AND version = \$2 AND value IS NOT NULL$/);
    expect(statements.getSecretVersion.params).toEqual(['key', 'version']);
    // :key! appears three times in DestroySecretVersions: one value, at $1 each time.
    expect(statements.destroySecretVersions.text.match(/\$1\b/g)).toHaveLength(3);
    expect(statements.destroySecretVersions.params.slice(0, 2)).toEqual(['key', 'versions']);
    expect(statements.undeleteSecret.params).toEqual(['key', 'auditId', 'actor', 'at', 'macKeyId', 'mac']);
    expect(statements.getSecretsByKeys.text).toContain('WHERE key = ANY($1::text[])');
    expect(statements.countSecretsByEncryption.params).toEqual([]);
  });

  it('sends what pgtyped’s own run() would send, for every statement', async () => {
    for (const [name, statement] of generated) {
      const query = (queries as Record<string, unknown>)[name];
      expect(query).toBeInstanceOf(PreparedQuery);
      const params = Object.fromEntries(statement.params.map((param) => [param, `value of ${param}`]));
      const sent: { text: string; values: unknown[] }[] = [];
      const recorder = {
        query: async (text: string, values: unknown[]) => {
          sent.push({ text, values });
          return { rows: [], rowCount: 0 };
        },
      };

      await (query as PreparedQuery<Record<string, unknown>, unknown>).run(params, recorder);

      expect({ name, ...sent[0] }).toEqual({
        name,
        text: statement.text,
        values: statement.params.map((param) => `value of ${param}`),
      });
    }
    expect(generated.map(([name]) => name)).toContain('getSecret');
  });

  it('is up to date: codegen on the committed pgtyped output writes the committed statements file', () => {
    const written = generateStatements(readFileSync(QUERIES_FILE, 'utf8'), 'secret_store.queries.ts');

    expect(written).toBe(readFileSync(STATEMENTS_FILE, 'utf8'));
  });

  it('is up to date with sql/: pgtyped’s output holds the queries of sql/secret_store.sql, in order', async () => {
    const fromSql = await parsedQueries(readFileSync(path.join(ROOT, 'sql/secret_store.sql'), 'utf8'));
    const { sqlFile, queries: fromOutput } = readPgtypedQueries(readFileSync(QUERIES_FILE, 'utf8'));

    expect(sqlFile).toBe('sql/secret_store.sql');
    expect(fromOutput.map(({ ir }) => ir)).toEqual(fromSql.map(({ ir }) => ir));
    expect(fromOutput.map(({ paramsType }) => paramsType)).toEqual(fromSql.map(({ paramsType }) => paramsType));
  });

  it('refuses a file pgtyped did not write', () => {
    expect(() => readPgtypedQueries("export const getSecret = 'SELECT 1';\n")).toThrow('not a file pgtyped wrote');
  });

  it.each([
    ['a backslash', "SELECT E'\\\\n'"],
    ['a backtick and ${', "SELECT '`${x}`'"],
    ['line feeds and a carriage return', 'SELECT 1\r\nFROM t\nWHERE $1'],
  ])('writes SQL holding %s as a template literal that reads back as it was', (_, text) => {
    const source = ts.createSourceFile(
      'statement.ts',
      `const text = ${templateLiteral(text)};`,
      ts.ScriptTarget.Latest,
    );
    const [declaration] = (source.statements[0] as ts.VariableStatement).declarationList.declarations;

    expect((declaration.initializer as ts.NoSubstitutionTemplateLiteral).text).toBe(text);
  });
});

describe('runStatement', () => {
  function recordingDatabase(rows: unknown[]) {
    const sent: { text: string; values: unknown[] }[] = [];
    const statement = async (text: string, values: unknown[]) => {
      sent.push({ text, values });
      return { rows, rowCount: rows.length };
    };
    return { sent, database: { statement } as unknown as Database };
  }

  it('binds the values in the order of the placeholders and resolves the rows', async () => {
    const { sent, database } = recordingDatabase([{ key: 'k' }]);
    const at = new Date('2024-01-02T03:04:05Z');

    const rows = await runStatement(
      statements.undeleteSecret,
      { mac: 'm', macKeyId: null, at, actor: 'a', auditId: 'id', key: 'k' },
      database,
    );

    expect(rows).toEqual([{ key: 'k' }]);
    expect(sent).toEqual([{ text: statements.undeleteSecret.text, values: ['k', 'id', 'a', at, null, 'm'] }]);
  });

  it('runs a statement without parameters', async () => {
    const { sent, database } = recordingDatabase([{ keyId: 'k1', fingerprint: 'f' }]);

    await expect(runStatement(statements.getKeyFingerprints, undefined, database)).resolves.toEqual([
      { keyId: 'k1', fingerprint: 'f' },
    ]);
    expect(sent).toEqual([{ text: statements.getKeyFingerprints.text, values: [] }]);
  });
});
